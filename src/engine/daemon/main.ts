/**
 * The engine process: reads its settings (engine.json; a bad file stops the
 * start, and why is kept for the CLI that started it), builds its parts
 * (composition root), comes back to what a previous engine left, serves the
 * API on the unix socket. SIGHUP, like `engine reload`, reads the settings
 * again (a bad file changes nothing). On SIGTERM/SIGINT or `engine stop` it
 * leaves quietly: containers keep running under their monitors, published
 * ports' forwarding rules stay, a new engine adopts them.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { openHost } from '../host.js';
import { Engine } from '../engine.js';
import { createApiServer, listenOnSocket } from './server.js';
import { NetworkHost } from '../../network/host/index.js';
import { DnsRecords } from '../../network/dns/records.js';
import { DnsServer } from '../../network/dns/server.js';
import { TscComposeError } from '../../errors/index.js';
import { VERSION } from '../../util/version.js';
import { enginePaths } from './paths.js';
import type { EnginePaths } from './paths.js';
import type { Host } from '../host.js';
import { EngineSettingsHolder } from '../config/holder.js';
import type { ReloadResult } from '../config/holder.js';
import { loadEngineSettings, problemLines } from '../config/load.js';
import type { SettingsReport } from '../config/load.js';
import { clearStartFailure, recordStartFailure } from '../config/start-failure.js';

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

export async function runEngine(): Promise<void> {
  const host = openHost();
  const paths = enginePaths(host.layout);
  fs.mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  if (await isSocketAlive(paths.socket)) throw new TscComposeError('TSC_ENGINE_RUNNING', `an engine is already running (${paths.socket})`);
  try {
    await serve(host, paths);
  } catch (err) {
    // The CLI that started this engine, and `engine status`, say why it did not start.
    recordStartFailure(paths.dataDir, problemLines(err));
    throw err;
  }
}

async function serve(host: Host, paths: EnginePaths): Promise<void> {
  // A bad configuration file stops the start here, before anything is touched.
  const settings = new EngineSettingsHolder(
    () => loadEngineSettings(),
    (next) => dnsServer.setUpstreams(next.dnsServers),
  );
  const logStream = fs.createWriteStream(paths.log, { flags: 'a' });
  const log = (message: string): void => {
    logStream.write(`${new Date().toISOString()} ${message}\n`);
  };
  log(`settings: ${describeSettings(settings.report())}`);
  const reloadSettings = (trigger: string): ReloadResult => {
    try {
      const result = settings.reload();
      log(`settings reloaded (${trigger}) from ${result.report.file}: ${result.changed.length > 0 ? `changed ${result.changed.join(', ')}` : 'nothing changed'}`);
      return result;
    } catch (err) {
      for (const line of problemLines(err)) log(`settings not reloaded (${trigger}), the previous ones stay: ${line}`);
      throw err;
    }
  };
  const netHost = new NetworkHost();
  const records = new DnsRecords();
  const dnsServer = new DnsServer({ table: records, localDomains: [], upstreams: settings.current.dnsServers });
  const engine = new Engine({ host, storeRoot: path.join(paths.dataDir, 'state'), netHost, dns: { server: dnsServer, records }, log, settings: () => settings.current });
  let stopping = false;
  const server = createApiServer({
    engine,
    startedAt: new Date().toISOString(),
    version: VERSION,
    stop: () => void shutdown(),
    settings: { report: () => settings.report(), reload: () => reloadSettings('engine reload') },
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
  process.on('SIGHUP', () => {
    try {
      reloadSettings('SIGHUP');
    } catch {
      // Logged by reloadSettings; the engine keeps its settings.
    }
  });
  fs.rmSync(paths.socket, { force: true });
  await engine.adopt();
  await listenOnSocket(server, paths.socket);
  fs.writeFileSync(paths.pidFile, `${process.pid}\n`);
  clearStartFailure(paths.dataDir);
  log(`engine ${VERSION} listening on ${paths.socket} (pid ${process.pid})`);
}

/** One line for the log: where the settings came from and those not at their defaults. */
function describeSettings(report: SettingsReport): string {
  const chosen = report.entries.filter((e) => e.source !== 'default').map((e) => `${e.name}=${JSON.stringify(e.value)} (${e.source === 'file' ? 'file' : e.origin})`);
  const from = report.fileFound ? report.file : `no ${report.file}`;
  return `${from}; ${chosen.length > 0 ? chosen.join(', ') : 'all defaults'}`;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  runEngine().catch((err: unknown) => {
    for (const line of problemLines(err)) process.stderr.write(`engine: ${line}\n`);
    process.exit(1);
  });
}
