/** `engine run|status|stop|logs|install`: the per-host engine the other commands start on demand. */
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '../command.js';
import { flag, parseOptions } from '../args.js';
import { UsageError } from '../../errors/index.js';
import { EngineClient } from '../engine-client.js';

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
  usage: 'tsc-compose engine run|status|stop|logs [-f]|install',
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
          client = await EngineClient.connect({ autoStart: false });
        } catch {
          io.stdout.write('engine: not running\n');
          return 3;
        }
        try {
          const info = await client.json<{ version: string; pid: number; startedAt: string; rss: number; containers: number }>('GET', '/v1/info');
          io.stdout.write(`engine: running\nversion: ${info.version}\npid: ${info.pid}\nsince: ${info.startedAt}\nmemory: ${(info.rss / 1048576).toFixed(1)} MiB\ncontainers: ${info.containers}\nsocket: ${client.paths.socket}\n`);
        } finally {
          await client.close();
        }
        return 0;
      }
      case 'stop': {
        let client: EngineClient;
        try {
          client = await EngineClient.connect({ autoStart: false });
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
      default:
        throw new UsageError(`unknown engine command "${sub ?? ''}": expected run, status, stop, logs or install`);
    }
  },
};
