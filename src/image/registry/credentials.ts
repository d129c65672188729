/**
 * Registry credentials the way the docker CLI keeps them: `auths` in
 * ~/.docker/config.json (base64 `user:password`), or a credential helper
 * (`credsStore` / `credHelpers`) spoken to with the docker-credential-*
 * protocol (`get` with the server URL on stdin, JSON on stdout).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';
import { TscComposeError } from '../../errors/index.js';
import { writeJsonAtomic } from '../../util/atomic-file.js';

export interface Credentials {
  username: string;
  password: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

/** Docker Hub is keyed by its legacy URL in config.json. */
export function credentialKey(domain: string): string {
  return domain === 'docker.io' ? 'https://index.docker.io/v1/' : domain;
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env['DOCKER_CONFIG'] ?? path.join(os.homedir(), '.docker'), 'config.json');
}

function readConfig(file: string): DockerConfigFile {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DockerConfigFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new TscComposeError('TSC_DOCKER_CONFIG', `cannot read ${file}: ${(err as Error).message}`);
  }
}

export class CredentialStore {
  constructor(private readonly file: string = dockerConfigPath()) {}

  get(domain: string): Credentials | undefined {
    const config = readConfig(this.file);
    const key = credentialKey(domain);
    const helper = config.credHelpers?.[domain] ?? config.credHelpers?.[key] ?? config.credsStore;
    if (helper) {
      const fromHelper = runHelper(helper, key);
      if (fromHelper) return fromHelper;
    }
    const candidates = [key, domain, `https://${domain}`, `http://${domain}`, `https://${domain}/v1/`];
    for (const c of candidates) {
      const entry = config.auths?.[c];
      if (!entry) continue;
      if (entry.username && entry.password) return { username: entry.username, password: entry.password };
      if (entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      }
    }
    return undefined;
  }

  /** `login`: stored in `auths` (the helper protocol's `store` is used when a credsStore is set). */
  set(domain: string, creds: Credentials): void {
    const config = readConfig(this.file);
    const key = credentialKey(domain);
    const helper = config.credHelpers?.[domain] ?? config.credsStore;
    if (helper) {
      const r = spawnSync(`docker-credential-${helper}`, ['store'], {
        input: JSON.stringify({ ServerURL: key, Username: creds.username, Secret: creds.password }),
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new TscComposeError('TSC_CREDENTIAL_HELPER', `docker-credential-${helper} store failed: ${r.stderr || r.error?.message}`);
      return;
    }
    config.auths = { ...(config.auths ?? {}), [key]: { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } };
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    writeJsonAtomic(this.file, config);
    fs.chmodSync(this.file, 0o600);
  }

  /** `logout`: true when something was removed. */
  remove(domain: string): boolean {
    const config = readConfig(this.file);
    const key = credentialKey(domain);
    const helper = config.credHelpers?.[domain] ?? config.credsStore;
    if (helper) {
      const r = spawnSync(`docker-credential-${helper}`, ['erase'], { input: key, encoding: 'utf8' });
      return r.status === 0;
    }
    if (!config.auths?.[key]) return false;
    delete config.auths[key];
    writeJsonAtomic(this.file, config);
    return true;
  }
}

function runHelper(helper: string, serverUrl: string): Credentials | undefined {
  const r = spawnSync(`docker-credential-${helper}`, ['get'], { input: serverUrl, encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) return undefined; // "credentials not found" is a non-zero exit
  try {
    const parsed = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
    if (parsed.Username && parsed.Secret) return { username: parsed.Username, password: parsed.Secret };
  } catch {
    return undefined;
  }
  return undefined;
}
