/**
 * `engine run|status|stop|reload|logs|install`: the per-host engine the other
 * commands start on demand. `reload` makes it read engine.json again (and
 * starts it when none runs); `status` shows the settings in force and where
 * each came from.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '../command.js';
import { flag, parseOptions } from '../args.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import { EngineClient } from '../engine-client.js';
import type { EngineInfo } from '../engine-client.js';
import type { ReloadResult } from '../../engine/config/holder.js';
import type { SettingsReport } from '../../engine/config/load.js';
import type { SettingEntry } from '../../engine/config/settings.js';
import { readStartFailure } from '../../engine/config/start-failure.js';
import { formatWarning } from '../../ui/warnings.js';

const UNIT_TEMPLATE = (bin: string): string => `[Unit]
Description=tsc-compose engine
After=network-online.target

[Service]
Type=simple
ExecStart=${bin} engine run
KillMode=process
Restart=on-failure

[Install]
WantedBy=multi-user.target
`;

export const command: Command = {
  usage: 'tsc-compose engine run|status|stop|reload|logs [-f]|install',
  async run(args, _global, io) {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'run': {
        const { runEngine } = await import('../../engine/daemon/main.js');
        await runEngine();
        await new Promise(() => undefined);
        return 0;
      }
      case 'status': {
        let client: EngineClient;
        try {
          client = await EngineClient.connect({ autoStart: false, settingsWarnings: false });
        } catch {
          io.stdout.write('engine: not running\n');
          const failure = readStartFailure(EngineClient.pathsFromEnv().dataDir);
          if (failure) io.stdout.write(`last start failed (${failure.at}):\n${failure.lines.map((l) => `  ${l}\n`).join('')}`);
          return 3;
        }
        try {
          const info = await client.json<EngineInfo>('GET', '/v1/info');
          io.stdout.write(`engine: running\nversion: ${info.version}\npid: ${info.pid}\nsince: ${info.startedAt}\nmemory: ${(info.rss / 1048576).toFixed(1)} MiB\ncontainers: ${info.containers}\nsocket: ${client.paths.socket}\n`);
          if (info.settings) io.stdout.write(formatSettings(info.settings));
          await client.warnAboutSettings(io.stderr, info.settings);
        } finally {
          await client.close();
        }
        return 0;
      }
      case 'reload': {
        const client = await EngineClient.connect({ settingsWarnings: false, stderr: io.stderr });
        try {
          let result: ReloadResult;
          try {
            result = await client.json<ReloadResult>('POST', '/v1/engine/reload');
          } catch (err) {
            if (!(err instanceof TscComposeError) || err.category === 'internal') throw err;
            io.stderr.write(`${err.format()}\nengine: settings not reloaded; the engine keeps the ones it had\n`);
            return 1;
          }
          const changed = result.changed.length > 0 ? `changed ${result.changed.join(', ')}` : 'nothing changed';
          io.stdout.write(`engine: reloaded ${result.report.fileFound ? result.report.file : `defaults (no ${result.report.file})`}: ${changed}\n`);
          for (const e of result.report.entries) {
            if (e.source === 'environment' && e.inFile) io.stderr.write(formatWarning(`${e.name} comes from the engine's own environment (${e.origin}), which wins over ${result.report.file}`));
          }
          await client.warnAboutSettings(io.stderr, result.report);
        } finally {
          await client.close();
        }
        return 0;
      }
      case 'stop': {
        let client: EngineClient;
        try {
          client = await EngineClient.connect({ autoStart: false, settingsWarnings: false });
        } catch {
          return 0;
        }
        const pidText = fs.existsSync(client.paths.pidFile) ? fs.readFileSync(client.paths.pidFile, 'utf8').trim() : '';
        await client.json('POST', '/v1/engine/stop').catch(() => undefined);
        await client.close();
        const pid = Number(pidText);
        for (let i = 0; pid > 0 && i < 500; i++) {
          try {
            process.kill(pid, 0);
          } catch {
            break;
          }
          await sleep(10);
        }
        return 0;
      }
      case 'logs': {
        const { options } = parseOptions(rest, [{ name: 'follow', short: 'f', type: 'boolean' }]);
        const file = EngineClient.pathsFromEnv().log;
        if (!fs.existsSync(file)) return 0;
        io.stdout.write(fs.readFileSync(file, 'utf8'));
        if (flag(options, 'follow')) {
          let offset = fs.statSync(file).size;
          for (;;) {
            await sleep(200);
            const size = fs.statSync(file).size;
            if (size > offset) {
              const fd = fs.openSync(file, 'r');
              const buf = Buffer.alloc(size - offset);
              fs.readSync(fd, buf, 0, buf.length, offset);
              fs.closeSync(fd);
              io.stdout.write(buf);
              offset = size;
            }
          }
        }
        return 0;
      }
      case 'install': {
        const bin = path.resolve(fileURLToPath(new URL('../../../../bin/tsc-compose', import.meta.url)));
        const unit = '/etc/systemd/system/tsc-compose.service';
        if (!fs.existsSync('/run/systemd/system')) {
          io.stdout.write(UNIT_TEMPLATE(bin));
          io.stderr.write('systemd is not running on this host: the unit above was not installed\n');
          return 1;
        }
        fs.writeFileSync(unit, UNIT_TEMPLATE(bin));
        io.stdout.write(`installed ${unit}; enable it with: systemctl enable --now tsc-compose\n`);
        return 0;
      }
      case undefined:
      default:
        throw new UsageError(`unknown engine command "${sub ?? ''}": expected run, status, stop, reload, logs or install`);
    }
  },
};

function sourceText(entry: SettingEntry): string {
  switch (entry.source) {
    case 'file':
      return 'file';
    case 'environment':
      return `environment (${entry.origin})`;
    case 'default':
      return entry.origin ? `default (${entry.origin})` : 'default';
    default: {
      const never: never = entry.source;
      throw new Error(`unknown setting source ${String(never)}`);
    }
  }
}

/** The settings in force, one per line: name, value as engine.json writes it, where it came from. */
export function formatSettings(report: SettingsReport): string {
  const lines = [`config: ${report.file}${report.fileFound ? '' : ' (absent: defaults)'}, read ${report.loadedAt}`, 'settings:'];
  const width = Math.max(...report.entries.map((e) => e.name.length));
  for (const e of report.entries) lines.push(`  ${e.name.padEnd(width)}  ${JSON.stringify(e.value)}  ${sourceText(e)}`);
  if (report.lastReloadError) {
    lines.push(`last reload failed (${report.lastReloadError.at}); the settings above stayed:`);
    for (const p of report.lastReloadError.problems) lines.push(`  ${p}`);
  }
  return `${lines.join('\n')}\n`;
}
