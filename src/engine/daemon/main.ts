/**
 * The engine process: builds its parts (composition root), comes back to
 * what a previous engine left, serves the API on the unix socket, and on
 * SIGTERM/SIGINT or `engine stop` leaves quietly: containers keep running
 * under their monitors, published ports' forwarding rules stay, a new engine
 * adopts them.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { openHost } from '../host.js';
import { Engine } from '../engine.js';
import { createApiServer, listenOnSocket } from './server.js';
import { NetworkHost } from '../../network/host/index.js';
import { DnsRecords } from '../../network/dns/records.js';
import { DnsServer, upstreamsFromResolvConf } from '../../network/dns/server.js';
import { TscComposeError } from '../../errors/index.js';
import { VERSION } from '../../util/version.js';
import { enginePaths } from './paths.js';

function isSocketAlive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function dnsUpstreams(): string[] {
  const configured = process.env['TSC_COMPOSE_DNS_UPSTREAMS'];
  if (configured !== undefined) return configured.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    return upstreamsFromResolvConf(fs.readFileSync('/etc/resolv.conf', 'utf8'));
  } catch {
    return [];
  }
}

export async function runEngine(): Promise<void> {
  const host = openHost();
  const paths = enginePaths(host.layout);
  fs.mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  if (await isSocketAlive(paths.socket)) throw new TscComposeError('TSC_ENGINE_RUNNING', `an engine is already running (${paths.socket})`);
  fs.rmSync(paths.socket, { force: true });
  const logStream = fs.createWriteStream(paths.log, { flags: 'a' });
  const log = (message: string): void => {
    logStream.write(`${new Date().toISOString()} ${message}\n`);
  };
  const netHost = new NetworkHost();
  const records = new DnsRecords();
  const dnsServer = new DnsServer({ table: records, localDomains: [], upstreams: dnsUpstreams() });
  const engine = new Engine({ host, storeRoot: path.join(paths.dataDir, 'state'), netHost, dns: { server: dnsServer, records }, log });
  let stopping = false;
  const server = createApiServer({
    engine,
    startedAt: new Date().toISOString(),
    version: VERSION,
    stop: () => void shutdown(),
  });
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log('engine stopping');
    server.close();
    server.closeAllConnections();
    engine.close();
    await netHost.close().catch(() => undefined);
    await dnsServer.close().catch(() => undefined);
    fs.rmSync(paths.socket, { force: true });
    fs.rmSync(paths.pidFile, { force: true });
    logStream.end();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  await engine.adopt();
  await listenOnSocket(server, paths.socket);
  fs.writeFileSync(paths.pidFile, `${process.pid}\n`);
  log(`engine ${VERSION} listening on ${paths.socket} (pid ${process.pid})`);
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  runEngine().catch((err: unknown) => {
    process.stderr.write(`engine: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
