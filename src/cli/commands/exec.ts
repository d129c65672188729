/** `tsc-compose exec SERVICE|CONTAINER COMMAND...`: a process inside a running container; its exit code becomes ours. */
import type { Command } from '../command.js';
import { flag, listOption, parseOptions, stringOption } from '../args.js';
import { openHost } from '../../engine/host.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import { resolveUser } from '../../runtime/user.js';
import { loadFromCli } from '../load.js';
import { noSuchService } from '../session.js';

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
  usage: 'tsc-compose exec [-u USER] [-w DIR] [-e K=V]... [-T] [-t] [-i] [--index N] SERVICE|CONTAINER COMMAND [ARGS...]',
  async run(args, global, _io) {
    const { options, positionals } = parseOptions(args, OPTIONS, true);
    const [target, ...command] = positionals;
    if (!target || command.length === 0) throw new UsageError('exec requires a SERVICE (or container name) and a COMMAND');
    if (flag(options, 'detach')) throw new UsageError('exec -d/--detach is not supported yet: the process runs in the foreground, its exit code becomes ours; run it in the background with your shell (`tsc-compose exec -T ... &`)');
    if (flag(options, 'privileged')) throw new UsageError("exec --privileged is not supported yet: the process gets the container's own capabilities (give the service `privileged: true` or `cap_add`)");
    // -i is docker compose's default (stdin attached); --interactive=false would need a process without stdin.
    if (options['interactive'] === false) throw new UsageError('exec --interactive=false is not supported yet: stdin is always attached (redirect it from /dev/null instead)');
    const explicitIndex = stringOption(options, 'index');
    if (explicitIndex !== undefined && !/^[1-9]\d*$/.test(explicitIndex)) throw new UsageError(`invalid --index "${explicitIndex}": expected a container number (1, 2, ...)`);
    const index = Number(explicitIndex ?? '1');
    const host = openHost();
    const running = host.runtime.list().filter((c) => host.runtime.isRunning(c.id));
    // A service of this project first (as docker compose), then a container name, then an id (a prefix of 12 or more).
    let project: { name: string; services: string[] } | undefined;
    try {
      const loaded = await loadFromCli(global, { skipConsistency: true });
      project = { name: loaded.project.name, services: [...Object.keys(loaded.project.services), ...loaded.disabledServices] };
    } catch {
      project = undefined;
    }
    // The service's own containers first, then its one-off (`run -d`) ones.
    const ofService = running
      .filter((c) => c.labels['com.docker.compose.service'] === target && (project === undefined || c.labels['com.docker.compose.project'] === project.name))
      .sort(
        (a, b) =>
          Number(a.labels['com.docker.compose.oneoff'] === 'True') - Number(b.labels['com.docker.compose.oneoff'] === 'True') ||
          Number(a.labels['com.docker.compose.container-number'] ?? 0) - Number(b.labels['com.docker.compose.container-number'] ?? 0),
      );
    const numbered = ofService.find((c) => c.labels['com.docker.compose.oneoff'] !== 'True' && Number(c.labels['com.docker.compose.container-number'] ?? 1) === index);
    // --index names one container: no other one stands in for it.
    let container = explicitIndex !== undefined ? numbered : (numbered ?? ofService[0]);
    if (explicitIndex === undefined) container ??= running.find((c) => c.name === target) ?? running.find((c) => c.id === target || (target.length >= 12 && c.id.startsWith(target)));
    if (!container) {
      const all = host.runtime.list();
      const isService = project ? project.services.includes(target) : all.some((c) => c.labels['com.docker.compose.service'] === target);
      const isContainer = all.some((c) => c.name === target || c.id === target);
      if (!isService && !isContainer) throw noSuchService(target);
      if (explicitIndex !== undefined && isService) throw new TscComposeError('TSC_NOT_RUNNING', `service "${target}" has no running container number ${index}`, { service: target });
      throw new TscComposeError('TSC_NOT_RUNNING', `${isService ? 'service' : 'container'} "${target}" is not running`, { service: target });
    }
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
