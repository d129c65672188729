/**
 * A local OCI registry for tests: Debian's docker-registry (distribution 2.8)
 * on a free 127.0.0.1 port with throw-away storage, optionally behind basic
 * (htpasswd) or token authentication, and pushes of OCI layouts into it with
 * skopeo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { run, withParentDeathSignal } from './exec.js';
import { LAYOUT_TAG } from './images.js';
import { MEDIA_TYPE, OciLayoutReader } from './oci-layout.js';
import { ensureHarnessPrerequisites } from './prereqs.js';

export interface RegistryCredentials {
  user: string;
  password: string;
}

export interface StartRegistryOptions {
  /**
   * Require these credentials. `mode: 'basic'` (default) is htpasswd basic
   * auth; `mode: 'token'` is Docker's token flow: the registry answers 401
   * with a Bearer challenge pointing at a token server run here, which hands
   * out signed tokens for those credentials (and, with `anonymousPull`, pull
   * tokens to anyone).
   */
  auth?: RegistryCredentials & { mode?: 'basic' | 'token'; anonymousPull?: boolean };
  /** Listen on this 127.0.0.1 port instead of a free one. */
  port?: number;
  /** How long to wait for /v2/ to answer. */
  startTimeoutMs?: number;
  skipPrerequisites?: boolean;
}

export interface TokenServer {
  /** The realm in the registry's challenge. */
  realm: string;
  /** The service name in the challenge and in tokens. */
  service: string;
  /** Token requests answered so far (200s and 401s), for tests of token caching. */
  requests: { scope: string[]; user: string | undefined; granted: boolean }[];
}

export interface LocalRegistry {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT, as used in image references. */
  host: string;
  pid: number;
  /** The registry's storage root (distribution's filesystem driver layout). */
  storageDir: string;
  logFile: string;
  auth?: RegistryCredentials & { mode: 'basic' | 'token' };
  token?: TokenServer;
  /** Stops the registry (and token server) and removes its files. Safe to call twice. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const TEMP_PREFIX = 'tsc-compose-registry-';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temp dirs of registries whose test process died without stopping them. */
function removeStaleTempDirs(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const m = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(name);
    if (m && !pidAlive(Number(m[1]))) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function parseBasic(header: string | undefined): RegistryCredentials | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

interface RunningTokenServer extends TokenServer {
  issuer: string;
  /** The signing certificate: the registry's rootcertbundle. */
  certFile: string;
  close(): Promise<void>;
}

/**
 * Docker's token server protocol (GET realm?service=&scope=) issuing RS256
 * JWTs with the signing certificate in x5c, which distribution checks against
 * its rootcertbundle.
 */
async function startTokenServer(dir: string, auth: RegistryCredentials & { anonymousPull?: boolean }): Promise<RunningTokenServer> {
  const keyFile = path.join(dir, 'token.key');
  const certFile = path.join(dir, 'token.crt');
  await run([
    'openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '3650', '-subj', '/CN=tsc-compose test token issuer',
  ]);
  const key: KeyObject = createPrivateKey(fs.readFileSync(keyFile));
  const certDer = Buffer.from(
    fs.readFileSync(certFile, 'utf8').replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''),
    'base64',
  );
  const service = 'tsc-compose-test-registry';
  const issuer = 'tsc-compose-test-token-issuer';
  const requests: TokenServer['requests'] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    const creds = parseBasic(req.headers.authorization);
    const authenticated = creds !== undefined && creds.user === auth.user && creds.password === auth.password;
    if (url.pathname !== '/token' || (creds !== undefined && !authenticated) || (!authenticated && !auth.anonymousPull)) {
      requests.push({ scope: scopes, user: creds?.user, granted: false });
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="tsc-compose test token server"' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    requests.push({ scope: scopes, user: creds?.user, granted: true });
    const access = scopes.map((s) => {
      const [type = '', ...rest] = s.split(':');
      const actions = (rest.pop() ?? '').split(',').filter(Boolean);
      const allowed = authenticated ? actions : actions.filter((a) => a === 'pull');
      return { type, name: rest.join(':'), actions: allowed };
    });
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = 300;
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: creds?.user ?? '', aud: service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const token = `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), key))}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Response header that tells this registry from anything else answering on its port. */
const INSTANCE_HEADER = 'x-tsc-compose-test-registry';

function registryConfig(storageDir: string, port: number, instance: string, authSection: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    '  redirect:',
    '    disable: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    '  headers:',
    `    ${INSTANCE_HEADER}: [${instance}]`,
    'health:',
    '  storagedriver:',
    '    enabled: false',
    authSection,
  ].join('\n');
}

async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function logTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

/** Starts docker-registry and waits until /v2/ answers. */
export async function startLocalRegistry(opts: StartRegistryOptions = {}): Promise<LocalRegistry> {
  if (!opts.skipPrerequisites) await ensureHarnessPrerequisites();
  removeStaleTempDirs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
  let tokenServer: RunningTokenServer | undefined;
  try {
    const storageDir = path.join(dir, 'storage');
    fs.mkdirSync(storageDir);
    const mode = opts.auth?.mode ?? 'basic';
    let authSection = '';
    if (opts.auth && mode === 'basic') {
      const htpasswd = path.join(dir, 'htpasswd');
      const { stdout } = await run(['htpasswd', '-Bbn', opts.auth.user, opts.auth.password]);
      fs.writeFileSync(htpasswd, stdout.trim() + '\n', { mode: 0o600 });
      authSection = ['auth:', '  htpasswd:', '    realm: tsc-compose-test-registry', `    path: ${htpasswd}`].join('\n');
    } else if (opts.auth) {
      tokenServer = await startTokenServer(dir, opts.auth);
      authSection = [
        'auth:',
        '  token:',
        `    realm: ${tokenServer.realm}`,
        `    service: ${tokenServer.service}`,
        `    issuer: ${tokenServer.issuer}`,
        `    rootcertbundle: ${tokenServer.certFile}`,
      ].join('\n');
    }
    const logFile = path.join(dir, 'registry.log');
    const timeoutMs = opts.startTimeoutMs ?? 15_000;
    let lastError = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = opts.port ?? (await freePort());
      const configFile = path.join(dir, 'config.yml');
      const instance = randomBytes(8).toString('hex');
      fs.writeFileSync(configFile, registryConfig(storageDir, port, instance, authSection));
      const log = fs.openSync(logFile, 'w');
      const argv = withParentDeathSignal(['docker-registry', 'serve', configFile], 'TERM');
      const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', log, log] });
      fs.closeSync(log);
      child.unref();
      const url = `http://127.0.0.1:${port}`;
      const up = await waitForV2(url, instance, child, timeoutMs);
      if (up) {
        const registry = makeHandle(child, url, port, dir, storageDir, logFile, opts, tokenServer);
        return registry;
      }
      lastError = logTail(logFile);
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
      // A port taken between probing and binding: try another one.
      if (opts.port !== undefined || !/address already in use/.test(lastError)) break;
    }
    throw new Error(`docker-registry did not start${lastError ? `:\n${lastError}` : ''}`);
  } catch (e) {
    await tokenServer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Until /v2/ answers from this very registry (another server may hold the port). */
async function waitForV2(url: string, instance: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const res = await request(`${url}/v2/`, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      const ours = res.headers[INSTANCE_HEADER] === instance;
      if (ours && (res.statusCode === 200 || res.statusCode === 401)) return true;
    } catch {
      // not listening yet
    }
    await sleep(25);
  }
  return false;
}

function makeHandle(
  child: ChildProcess,
  url: string,
  port: number,
  dir: string,
  storageDir: string,
  logFile: string,
  opts: StartRegistryOptions,
  tokenServer: RunningTokenServer | undefined,
): LocalRegistry {
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if (!(await waitForExit(child, 5000))) {
          child.kill('SIGKILL');
          await waitForExit(child, 5000);
        }
      }
      await tokenServer?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    })());
  const handle: LocalRegistry = {
    url,
    host: `127.0.0.1:${port}`,
    pid: child.pid as number,
    storageDir,
    logFile,
    stop,
    [Symbol.asyncDispose]: stop,
  };
  if (opts.auth) handle.auth = { user: opts.auth.user, password: opts.auth.password, mode: opts.auth.mode ?? 'basic' };
  if (tokenServer) handle.token = { realm: tokenServer.realm, service: tokenServer.service, requests: tokenServer.requests };
  return handle;
}

export interface PushOptions {
  /** Name of the image inside the layout (default "latest"). */
  sourceTag?: string;
  credentials?: RegistryCredentials;
}

/**
 * Pushes the image of an OCI layout to registryHost as repo:tag with skopeo,
 * digests preserved (an image index with all its platforms). Returns the
 * digest of the pushed manifest or index.
 */
export async function pushImage(layoutDir: string, registryHost: string, repoAndTag: string, opts: PushOptions = {}): Promise<string> {
  const sourceTag = opts.sourceTag ?? LAYOUT_TAG;
  const descriptor = new OciLayoutReader(layoutDir).find(sourceTag);
  const isIndex = descriptor.mediaType === MEDIA_TYPE.index || descriptor.mediaType === 'application/vnd.docker.distribution.manifest.list.v2+json';
  const ref = repoAndTag.includes(':') ? repoAndTag : `${repoAndTag}:latest`;
  const argv = ['skopeo', '--insecure-policy', 'copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', '--retry-times', '2'];
  if (isIndex) argv.push('--all');
  if (opts.credentials) argv.push('--dest-creds', `${opts.credentials.user}:${opts.credentials.password}`);
  const digestDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-compose-push-'));
  try {
    const digestFile = path.join(digestDir, 'digest');
    argv.push('--digestfile', digestFile, `oci:${layoutDir}:${sourceTag}`, `docker://${registryHost}/${ref}`);
    await run(argv, { timeoutMs: 10 * 60_000 });
    const pushed = fs.readFileSync(digestFile, 'utf8').trim();
    if (pushed !== descriptor.digest) throw new Error(`skopeo pushed ${pushed}, the layout has ${descriptor.digest}`);
    return pushed;
  } finally {
    fs.rmSync(digestDir, { recursive: true, force: true });
  }
}
