/**
 * Registries as users meet them behind TLS and mirrors, all on 127.0.0.1:
 * a docker-registry serving HTTPS with a certificate from a CA made here,
 * trusted only through `<certsDir>/127.0.0.1:PORT/ca.crt`; and a Docker Hub
 * mirror that lacks the image, so the pull falls back to the origin (a local
 * registry standing in for Docker Hub through TSC_COMPOSE_DOCKER_HUB_ENDPOINT).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { ensureTestImages } from '../../support/test-images/images.js';
import type { TestImages } from '../../support/test-images/images.js';
import { run, withParentDeathSignal } from '../../support/test-images/exec.js';
import { pushImage, startLocalRegistry } from '../../support/test-images/registry.js';
import type { LocalRegistry } from '../../support/test-images/registry.js';
import { ImageStore } from '../../../src/image/store/image-store.js';
import { RegistryClient } from '../../../src/image/registry/client.js';
import { pullImage } from '../../../src/image/pull.js';
import type { PullEvent } from '../../../src/image/pull.js';
import { registryClientFor } from '../../../src/engine/images.js';
import { loadEngineSettings } from '../../../src/engine/config/load.js';

let images: TestImages<'busybox'>;
let tmp: string;
let n = 0;
const freshStore = (): ImageStore => new ImageStore(path.join(tmp, `store-${n++}`));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A CA and a server certificate for 127.0.0.1 signed by it. */
async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const ca = path.join(dir, 'ca.crt');
  const caKey = path.join(dir, 'ca.key');
  const key = path.join(dir, 'server.key');
  const csr = path.join(dir, 'server.csr');
  const cert = path.join(dir, 'server.crt');
  const ext = path.join(dir, 'server.ext');
  await run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=tsc-compose test CA']);
  await run(['openssl', 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await run(['openssl', 'x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { ca, cert, key };
}

interface TlsRegistry {
  host: string;
  stop(): Promise<void>;
}

/** docker-registry with `http.tls`, on a free port, until stop(). */
async function startTlsRegistry(dir: string, certs: { ca: string; cert: string; key: string }): Promise<TlsRegistry> {
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  fs.mkdirSync(path.join(dir, 'storage'), { recursive: true });
  fs.writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'storage')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  tls:',
      `    certificate: ${certs.cert}`,
      `    key: ${certs.key}`,
      'health:',
      '  storagedriver:',
      '    enabled: false',
      '',
    ].join('\n'),
  );
  const log = fs.openSync(path.join(dir, 'registry.log'), 'w');
  const argv = withParentDeathSignal(['docker-registry', 'serve', config], 'TERM');
  const child: ChildProcess = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  const agent = new Agent({ connect: { ca: fs.readFileSync(certs.ca) } });
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const res = await request(`https://127.0.0.1:${port}/v2/`, { dispatcher: agent });
        await res.body.dump();
        if (res.statusCode === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`TLS registry did not start: ${fs.readFileSync(path.join(dir, 'registry.log'), 'utf8')}`);
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    await agent.close();
  }
  return { host: `127.0.0.1:${port}`, stop };
}

/** A client with the settings an engine whose root is `tmp` (no engine.json there) would have under these overrides. */
const clientWith = (overrides: Record<string, string>): RegistryClient => registryClientFor(loadEngineSettings({ env: { TSC_COMPOSE_ROOT: tmp, ...overrides } }).settings);

describe('registries behind TLS and mirrors', { timeout: 10 * 60_000 }, () => {
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-registry-tls-'));
    images = await ensureTestImages({ images: ['busybox'], log: () => undefined });
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a registry with a private CA is trusted through certs.d/<host>/ca.crt, and refused without it', async () => {
    const certs = await makeCertificates(tmp);
    const registry = await startTlsRegistry(path.join(tmp, 'tls-registry'), certs);
    try {
      // skopeo pushes without verifying; only the client under test has to trust the CA.
      await pushImage(images.busybox.layoutDir, registry.host, 'secure/busybox:1');
      const ref = `${registry.host}/secure/busybox:1`;

      const certsDir = path.join(tmp, 'certs.d');
      fs.mkdirSync(path.join(certsDir, registry.host), { recursive: true });
      fs.copyFileSync(certs.ca, path.join(certsDir, registry.host, 'ca.crt'));
      const client = clientWith({ TSC_COMPOSE_CERTS_DIR: certsDir });
      try {
        const record = await pullImage(freshStore(), client, ref);
        assert.equal(record.manifestDigest, images.busybox.manifestDigest);
      } finally {
        await client.close();
      }

      // The same host in certs.d but without its CA: the system roots do not know it.
      const untrustedDir = path.join(tmp, 'certs.d-without-ca');
      fs.mkdirSync(path.join(untrustedDir, registry.host), { recursive: true });
      const untrusted = new RegistryClient({ certsDir: untrustedDir, retries: 0 });
      const store = freshStore();
      try {
        await assert.rejects(pullImage(store, untrusted, ref), (err: Error) => {
          assert.match(err.message, new RegExp(`TLS certificate of ${registry.host.replace(/\./g, '\\.')} is not trusted`));
          assert.ok(err.message.includes(path.join(untrustedDir, registry.host, 'ca.crt')), err.message);
          return true;
        });
        assert.deepEqual(store.list(), []);
      } finally {
        await untrusted.close();
      }
    } finally {
      await registry.stop();
    }
  });

  it('a mirror without the image falls back to the origin', async () => {
    let mirror: LocalRegistry | undefined;
    let origin: LocalRegistry | undefined;
    try {
      mirror = await startLocalRegistry();
      origin = await startLocalRegistry();
      await pushImage(images.busybox.layoutDir, origin.host, 'library/busybox:latest');
      // The mirror holds another repository, so it answers, just not for this image.
      await pushImage(images.busybox.layoutDir, mirror.host, 'library/other:latest');
      const client = clientWith({ TSC_COMPOSE_REGISTRY_MIRRORS: mirror.url, TSC_COMPOSE_DOCKER_HUB_ENDPOINT: origin.url });
      const events: PullEvent[] = [];
      try {
        const record = await pullImage(freshStore(), client, 'busybox', { onEvent: (e) => events.push(e) });
        assert.equal(record.reference, 'docker.io/library/busybox:latest');
        assert.equal(record.manifestDigest, images.busybox.manifestDigest);
        assert.ok(events.some((e) => e.status === 'downloading'));
      } finally {
        await client.close();
      }

      // Neither has it: the error names both places that were asked.
      const missing = clientWith({ TSC_COMPOSE_REGISTRY_MIRRORS: mirror.url, TSC_COMPOSE_DOCKER_HUB_ENDPOINT: origin.url });
      try {
        await assert.rejects(pullImage(freshStore(), missing, 'nothere/at-all:1'), (err: Error) => {
          assert.match(err.message, /not found/);
          assert.ok(err.message.includes(mirror!.url) && err.message.includes(origin!.url), err.message);
          return true;
        });
      } finally {
        await missing.close();
      }
    } finally {
      await mirror?.stop();
      await origin?.stop();
    }
  });
});
