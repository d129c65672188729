/**
 * An OCI distribution client on undici: manifests and blobs from Docker Hub
 * or any registry, with bearer-token and basic auth, Docker Hub mirrors
 * (tried first, origin as fallback), plain HTTP only for loopback and
 * registries configured as insecure, per-registry CA and client certificates
 * from certs.d, proxies from the environment, retries with backoff and
 * resumable blob downloads.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dispatcher } from 'undici';
import { SyscallError, TscComposeError, fromSystemError } from '../../errors/index.js';
import type { ErrorCode } from '../../errors/index.js';
import { parseChallenges } from './challenge.js';
import type { Credentials, CredentialStore } from './credentials.js';
import type { ImageReference } from '../reference.js';
import { formatReference } from '../reference.js';
import type { IngestWriter } from '../store/content-store.js';
import { sha256Digest } from '../store/content-store.js';

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export class RegistryError extends TscComposeError {
  constructor(code: ErrorCode, message: string, readonly status?: number) {
    super(code, message);
    this.name = 'RegistryError';
  }
}

export interface RegistryClientOptions {
  credentials?: CredentialStore | undefined;
  /** Hosts (host[:port]) reached over plain HTTP besides loopback. */
  insecureRegistries?: string[];
  /** Docker Hub mirrors, e.g. `http://127.0.0.1:5000`; tried in order before the origin. */
  mirrors?: string[];
  /** Per-registry TLS material: `<certsDir>/<host>/{ca.crt,client.cert,client.key}`. */
  certsDir?: string;
  /**
   * Where Docker Hub's registry API is (default https://registry-1.docker.io);
   * tests point it at a local registry to stand in for Docker Hub.
   */
  dockerHubEndpoint?: string | undefined;
  retries?: number;
  /** Base delay of the exponential backoff between attempts. */
  retryDelayMs?: number;
}

interface Endpoint {
  /** `https://registry-1.docker.io` */
  base: string;
  host: string;
  isMirror: boolean;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface FetchedManifest {
  body: Buffer;
  mediaType: string;
  digest: string;
}

export const DOCKER_HUB_ENDPOINT = 'https://registry-1.docker.io';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(:\d+)?$/;

export class RegistryClient {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly retries: number;
  private readonly retryDelayMs: number;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.retries = options.retries ?? 4;
    this.retryDelayMs = options.retryDelayMs ?? 250;
  }

  async close(): Promise<void> {
    await Promise.all([...this.dispatchers.values()].map((d) => d.close()));
    this.dispatchers.clear();
  }

  endpoints(domain: string): Endpoint[] {
    const out: Endpoint[] = [];
    if (domain === 'docker.io') {
      for (const m of this.options.mirrors ?? []) {
        const url = new URL(m.includes('://') ? m : `https://${m}`);
        out.push({ base: `${url.protocol}//${url.host}`, host: url.host, isMirror: true });
      }
      const origin = new URL(this.options.dockerHubEndpoint ?? DOCKER_HUB_ENDPOINT);
      out.push({ base: `${origin.protocol}//${origin.host}`, host: origin.host, isMirror: false });
      return out;
    }
    // A certs.d entry for the host says it speaks TLS, loopback or not.
    const hasTlsMaterial = this.options.certsDir !== undefined && fs.existsSync(path.join(this.options.certsDir, domain));
    const insecure = !hasTlsMaterial && (LOOPBACK.test(domain) || (this.options.insecureRegistries ?? []).includes(domain));
    out.push({ base: `${insecure ? 'http' : 'https'}://${domain}`, host: domain, isMirror: false });
    return out;
  }

  private async dispatcherFor(host: string): Promise<Dispatcher> {
    let d = this.dispatchers.get(host);
    if (d) return d;
    // undici is ~20 MB of the engine's memory; loaded with the first registry request, not at engine start.
    const { Agent, EnvHttpProxyAgent, interceptors } = await import('undici');
    d = this.dispatchers.get(host);
    if (d) return d;
    const connect: Record<string, unknown> = {};
    const dir = this.options.certsDir ? path.join(this.options.certsDir, host) : undefined;
    if (dir && fs.existsSync(dir)) {
      const cas = fs.readdirSync(dir).filter((f) => f.endsWith('.crt')).map((f) => fs.readFileSync(path.join(dir, f)));
      if (cas.length > 0) connect['ca'] = cas;
      const cert = fs.readdirSync(dir).find((f) => f.endsWith('.cert'));
      if (cert) {
        connect['cert'] = fs.readFileSync(path.join(dir, cert));
        connect['key'] = fs.readFileSync(path.join(dir, cert.replace(/\.cert$/, '.key')));
      }
    }
    const hasProxy = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((k) => process.env[k]);
    const base: Dispatcher = hasProxy ? new EnvHttpProxyAgent({ connect }) : new Agent({ connect, keepAliveTimeout: 10_000 });
    d = base.compose(interceptors.redirect({ maxRedirections: 5 }));
    this.dispatchers.set(host, d);
    return d;
  }

  /** One authenticated request to an endpoint; handles the 401 challenge once. */
  private async request(
    endpoint: Endpoint,
    domain: string,
    repo: string,
    method: 'GET' | 'HEAD',
    pathname: string,
    headers: Record<string, string>,
  ): Promise<Dispatcher.ResponseData> {
    const url = `${endpoint.base}${pathname}`;
    const dispatcher = await this.dispatcherFor(endpoint.host);
    const scope = `repository:${repo}:pull`;
    const cached = this.tokens.get(`${endpoint.host}|${scope}`);
    const auth = cached && cached.expiresAt > Date.now() ? { authorization: `Bearer ${cached.token}` } : {};
    let res = await dispatcher.request({ origin: endpoint.base, path: pathname, method, headers: { ...headers, ...auth } });
    if (res.statusCode !== 401) return res;
    const challengeHeader = res.headers['www-authenticate'];
    await res.body.dump();
    const challenges = parseChallenges(Array.isArray(challengeHeader) ? challengeHeader.join(', ') : (challengeHeader ?? ''));
    const creds = endpoint.isMirror ? undefined : this.options.credentials?.get(domain);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    let authorization: string;
    if (bearer) {
      const token = await this.fetchToken(endpoint, bearer.params, scope, creds);
      authorization = `Bearer ${token}`;
    } else if (basic && creds) {
      authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    } else {
      throw new RegistryError('TSC_REGISTRY_UNAUTHORIZED', `${url}: unauthorized: authentication required${creds ? '' : ' (no credentials: run `tsc-compose login`)'}`, 401);
    }
    res = await dispatcher.request({ origin: endpoint.base, path: pathname, method, headers: { ...headers, authorization } });
    if (res.statusCode === 401) {
      await res.body.dump();
      throw new RegistryError('TSC_REGISTRY_UNAUTHORIZED', `${url}: unauthorized: the registry rejected the credentials`, 401);
    }
    return res;
  }

  private async fetchToken(endpoint: Endpoint, params: Record<string, string>, scope: string, creds: Credentials | undefined): Promise<string> {
    const realm = params['realm'];
    if (!realm) throw new RegistryError('TSC_REGISTRY_AUTH', `${endpoint.base}: bearer challenge without realm`);
    const url = new URL(realm);
    if (params['service']) url.searchParams.set('service', params['service']);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (creds) headers['authorization'] = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    const res = await (await this.dispatcherFor(url.host)).request({ origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', headers });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new RegistryError('TSC_REGISTRY_UNAUTHORIZED', `token request to ${url.origin}${url.pathname} failed: HTTP ${res.statusCode}`, res.statusCode);
    }
    const body = (await res.body.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError('TSC_REGISTRY_AUTH', `token response from ${url.origin} has no token`);
    const ttl = Math.max(30, body.expires_in ?? 60) * 1000;
    this.tokens.set(`${endpoint.host}|${scope}`, { token, expiresAt: Date.now() + ttl - 10_000 });
    return token;
  }

  /** Tries each endpoint (mirrors, then origin) with retries; `attempt` returns undefined for "not here". */
  private async withEndpoints<T>(ref: ImageReference, what: string, attempt: (endpoint: Endpoint) => Promise<T | undefined>): Promise<T> {
    const errors: string[] = [];
    for (const endpoint of this.endpoints(ref.domain)) {
      for (let n = 0; ; n++) {
        try {
          const result = await attempt(endpoint);
          if (result !== undefined) return result;
          errors.push(`${endpoint.base}: not found`);
          break;
        } catch (err) {
          if (err instanceof SyscallError) throw err;
          const retryable = isRetryable(err);
          if (retryable && n < this.retries) {
            await sleep(this.retryDelayMs * 2 ** n);
            continue;
          }
          if (!endpoint.isMirror && !retryable && err instanceof TscComposeError) throw err;
          errors.push(`${endpoint.base}: ${this.describeFailure(err, endpoint)}`);
          break;
        }
      }
    }
    const allNotFound = errors.every((e) => e.endsWith('not found'));
    throw new RegistryError(
      allNotFound ? 'TSC_IMAGE_NOT_FOUND' : 'TSC_REGISTRY_UNAVAILABLE',
      `${what} ${formatReference(ref)}: ${allNotFound ? 'not found' : 'registry unavailable'} (${errors.join('; ')})`,
    );
  }

  /** The message for a failed request; an untrusted certificate says where the CA belongs. */
  private describeFailure(err: unknown, endpoint: Endpoint): string {
    const message = (err as Error).message;
    const code = String((err as NodeJS.ErrnoException)?.code ?? (err as { cause?: NodeJS.ErrnoException })?.cause?.code ?? '');
    if (TLS_TRUST_ERRORS.test(code) || TLS_TRUST_ERRORS.test(message)) {
      const where = this.options.certsDir ? path.join(this.options.certsDir, endpoint.host, 'ca.crt') : `<certs.d>/${endpoint.host}/ca.crt`;
      return `TLS certificate of ${endpoint.host} is not trusted (${message}): put the CA certificate that signed it in ${where}`;
    }
    return message;
  }

  /** GET a manifest by tag or digest; verifies the digest when one was asked for. */
  async getManifest(ref: ImageReference, digestOrTag?: string): Promise<FetchedManifest> {
    const target = digestOrTag ?? ref.digest ?? ref.tag ?? 'latest';
    return this.withEndpoints(ref, 'manifest', async (endpoint) => {
      const res = await this.request(endpoint, ref.domain, ref.path, 'GET', `/v2/${ref.path}/manifests/${target}`, { accept: MANIFEST_ACCEPT });
      if (await notHereOrRetry(res)) return undefined;
      if (res.statusCode !== 200) {
        const text = await res.body.text();
        throw new RegistryError('TSC_REGISTRY_ERROR', `manifest ${target}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`, res.statusCode);
      }
      const body = Buffer.from(await res.body.arrayBuffer());
      const digest = sha256Digest(body);
      if (target.startsWith('sha256:') && digest !== target) {
        throw new RegistryError('TSC_IMAGE_DIGEST_MISMATCH', `manifest ${formatReference(ref)}: digest mismatch: expected ${target}, got ${digest}`);
      }
      const contentType = String(res.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      const declared = (JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType;
      return { body, mediaType: declared ?? contentType, digest };
    });
  }

  /**
   * Streams a blob into `writer` (resuming from what it already holds),
   * reporting progress; the writer verifies size and digest on commit.
   */
  async fetchBlob(ref: ImageReference, digest: string, writer: IngestWriter, onProgress?: (bytes: number) => void): Promise<void> {
    await this.withEndpoints(ref, `blob ${digest} of`, async (endpoint) => {
      const headers: Record<string, string> = {};
      const offset = writer.offset;
      if (offset > 0) headers['range'] = `bytes=${offset}-`;
      const res = await this.request(endpoint, ref.domain, ref.path, 'GET', `/v2/${ref.path}/blobs/${digest}`, headers);
      if (await notHereOrRetry(res)) return undefined;
      if (res.statusCode === 200 && offset > 0) {
        // The registry ignored Range: start over.
        writer.restart();
      } else if (res.statusCode !== 200 && res.statusCode !== 206) {
        const text = await res.body.text();
        throw new RegistryError('TSC_REGISTRY_ERROR', `blob ${digest}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`, res.statusCode);
      }
      try {
        for await (const chunk of res.body) {
          try {
            writer.write(chunk as Buffer);
          } catch (err) {
            // Our disk, not the network (full, read-only): no retry, no other endpoint helps.
            res.body.destroy();
            throw fromSystemError(err) ?? err;
          }
          onProgress?.(writer.offset);
        }
      } catch (err) {
        if (err instanceof TscComposeError) throw err;
        throw new RetryableError(`download interrupted: ${(err as Error).message}`);
      }
      return true;
    });
  }
}

class RetryableError extends Error {}

/** Node's codes (and messages) for a certificate chain that does not lead to a trusted CA. */
const TLS_TRUST_ERRORS = /SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_UNTRUSTED|self[- ]signed certificate|unable to verify the first certificate|unable to get local issuer certificate/i;

/** true for 404 (try the next endpoint); throws a retryable error for 5xx and 429. */
async function notHereOrRetry(res: Dispatcher.ResponseData): Promise<boolean> {
  if (res.statusCode === 404) {
    await res.body.dump();
    return true;
  }
  if (res.statusCode >= 500 || res.statusCode === 429) {
    await res.body.dump();
    throw new RetryableError(`HTTP ${res.statusCode}`);
  }
  return false;
}

function isRetryable(err: unknown): boolean {
  if (err instanceof RetryableError) return true;
  if (err instanceof TscComposeError) return false;
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  return /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|UND_ERR_CLOSED)$/.test(code);
}
