/** `tsc-compose exec SERVICE|CONTAINER COMMAND...`: a process inside a running container; its exit code becomes ours. */
import type { Command } from '../command.js';
import { flag, listOption, parseOptions, stringOption } from '../args.js';
import { openHost } from '../../engine/host.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import { resolveUser } from '../../runtime/user.js';
import { loadFromCli } from '../load.js';

const OPTIONS = [
  { name: 'user', short: 'u', type: 'string' as const },
  { name: 'workdir', short: 'w', type: 'string' as const },
  { name: 'env', short: 'e', type: 'string' as const, multiple: true },
  { name: 'no-TTY', short: 'T', type: 'boolean' as const },
  { name: 'interactive', short: 'i', type: 'boolean' as const },
  { name: 'tty', short: 't', type: 'boolean' as const },
  { name: 'detach', short: 'd', type: 'boolean' as const },
  { name: 'index', type: 'string' as const },
  { name: 'privileged', type: 'boolean' as const },
];

export const command: Command = {
  passThrough: OPTIONS,
  usage: 'tsc-compose exec [-u USER] [-w DIR] [-e K=V]... [-T] SERVICE|CONTAINER COMMAND [ARGS...]',
  async run(args, global, _io) {
    const { options, positionals } = parseOptions(args, OPTIONS, true);
    const [target, ...command] = positionals;
    if (!target || command.length === 0) throw new UsageError('exec requires a SERVICE (or container name) and a COMMAND');
    const host = openHost();
    const running = host.runtime.list().filter((c) => host.runtime.isRunning(c.id));
    // A service of this project first (as docker compose), then a container name, then an id (a prefix of 12 or more).
    let project: string | undefined;
    try {
      project = (await loadFromCli(global, { skipConsistency: true })).project.name;
    } catch {
      project = undefined;
    }
    const index = Number(stringOption(options, 'index') ?? '1');
    // The service's own containers first, then its one-off (`run -d`) ones.
    const ofService = running
      .filter((c) => c.labels['com.docker.compose.service'] === target && (project === undefined || c.labels['com.docker.compose.project'] === project))
      .sort(
        (a, b) =>
          Number(a.labels['com.docker.compose.oneoff'] === 'True') - Number(b.labels['com.docker.compose.oneoff'] === 'True') ||
          Number(a.labels['com.docker.compose.container-number'] ?? 0) - Number(b.labels['com.docker.compose.container-number'] ?? 0),
      );
    let container = ofService.find((c) => c.labels['com.docker.compose.oneoff'] !== 'True' && Number(c.labels['com.docker.compose.container-number'] ?? 1) === index) ?? ofService[0];
    container ??= running.find((c) => c.name === target) ?? running.find((c) => c.id === target || (target.length >= 12 && c.id.startsWith(target)));
    if (!container) throw new TscComposeError('TSC_NOT_RUNNING', `service "${target}" is not running`);
    const env = [...container.env];
    for (const e of listOption(options, 'env')) {
      const key = e.split('=')[0] as string;
      const value = e.includes('=') ? e : process.env[key] !== undefined ? `${key}=${process.env[key]}` : undefined;
      if (value === undefined) continue;
      const i = env.findIndex((x) => x.startsWith(`${key}=`));
      if (i >= 0) env[i] = value;
      else env.push(value);
    }
    const userSpec = stringOption(options, 'user');
    const readImageFile = userSpec ? (await import('../../engine/service-container.js')).readImageFile : undefined;
    const user = userSpec && readImageFile
      ? resolveUser(userSpec, [], readImageFile(container.image.lowerDirs, 'etc/passwd'), readImageFile(container.image.lowerDirs, 'etc/group'))
      : container.user;
    // Like docker compose exec: a terminal by default when ours is one, none with -T.
    const tty = !flag(options, 'no-TTY') && (flag(options, 'tty') || (process.stdin.isTTY === true && process.stdout.isTTY === true));
    const env2 = tty && !env.some((e) => e.startsWith('TERM=')) ? [...env, `TERM=${process.env['TERM'] ?? 'xterm'}`] : env;
    return host.runtime.exec(container.id, {
      tty,
      args: command,
      env: env2,
      cwd: stringOption(options, 'workdir') ?? container.cwd,
      user: { uid: user.uid, gid: user.gid },
    });
  },
};
