/** `tsc-compose run`: one container for a service, in the foreground; its exit code becomes ours. */
import type { Command, CommandIO } from '../command.js';
import { flag, listOption, parseOptions, stringOption } from '../args.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import type { RunOverrides } from '../../engine/service-container.js';
import { isPullProgress, loadProjectRef, noSuchService, runStreamed, withEngine } from '../session.js';
import { Runtime } from '../../runtime/container.js';
import { stateLayout, stateRoots } from '../../state/roots.js';
import { followLog } from '../../runtime/logs.js';
import { splitShellWords } from '../../util/shell-words.js';
import { printWarnings } from '../../ui/warnings.js';

const OPTIONS = [
  { name: 'rm', type: 'boolean' as const },
  { name: 'detach', short: 'd', type: 'boolean' as const },
  { name: 'env', short: 'e', type: 'string' as const, multiple: true },
  { name: 'user', short: 'u', type: 'string' as const },
  { name: 'workdir', short: 'w', type: 'string' as const },
  { name: 'entrypoint', type: 'string' as const },
  { name: 'name', type: 'string' as const },
  { name: 'no-TTY', short: 'T', type: 'boolean' as const },
  { name: 'tty', short: 't', type: 'boolean' as const },
  { name: 'interactive', short: 'i', type: 'boolean' as const },
  { name: 'no-deps', type: 'boolean' as const },
  { name: 'quiet-pull', type: 'boolean' as const },
  { name: 'pull', type: 'string' as const },
];

export const command: Command = {
  passThrough: OPTIONS,
  usage: 'tsc-compose run [--rm] [-d] [-e K=V]... [-u USER] [-w DIR] [--entrypoint CMD] [--name NAME] [-T] [-t] [-i] [--no-deps] [--pull P] [--quiet-pull] SERVICE [COMMAND [ARGS...]]',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, OPTIONS, true);
    const [serviceName, ...command] = positionals;
    if (!serviceName) throw new UsageError('run requires a SERVICE');
    if (flag(options, 'rm') && flag(options, 'detach')) throw new UsageError('--rm with -d is not supported yet: a detached one-off container is not removed when it exits (remove it with `rm -f NAME`)');
    // Before the project loads, as docker compose parses it (in PreRunE): a bad value fails first.
    const entrypoint = parseEntrypoint(stringOption(options, 'entrypoint'), io);
    const ref = await loadProjectRef(global, io);
    const service = ref.project.services[serviceName];
    if (!service) throw noSuchService(serviceName);
    // Like docker compose run: a terminal when ours is one (or -t, or tty: true), none with -T; stdin attached.
    const ourTerminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
    const useTty = !flag(options, 'no-TTY') && (flag(options, 'tty') || service.tty === true || ourTerminal);
    // -i (stdin attached) is the default, as in docker compose run; --interactive=false gives the container no input.
    const interactive = options['interactive'] !== false;
    if (!interactive && useTty && !flag(options, 'detach')) throw new UsageError('--interactive=false needs -T: a terminal is there to type into');
    const environment: Record<string, string> = {};
    for (const e of listOption(options, 'env')) {
      const i = e.indexOf('=');
      if (i === -1) {
        const v = process.env[e];
        if (v !== undefined) environment[e] = v;
      } else environment[e.slice(0, i)] = e.slice(i + 1);
    }
    const overrides: RunOverrides = {
      command: command.length > 0 ? command : undefined,
      entrypoint,
      environment,
      user: stringOption(options, 'user'),
      workingDir: stringOption(options, 'workdir'),
      name: stringOption(options, 'name'),
      oneOff: true,
    };
    const detach = flag(options, 'detach');
    return withEngine(async (client) => {
      // The engine creates it (networks, addresses, dependencies started); attached, we start it here so it gets our terminal.
      const created = (await runStreamed(
        client,
        '/v1/run',
        { ref, service: serviceName, overrides, detach, pull: stringOption(options, 'pull'), noDeps: flag(options, 'no-deps') },
        global,
        io,
        { title: 'Creating', ...(flag(options, 'quiet-pull') ? { hideProgress: isPullProgress } : {}) },
      )) as { id: string; name: string };
      const removeIt = async (): Promise<void> => {
        for await (const m of client.stream('POST', '/v1/action', { projectName: ref.project.name, services: [created.name], action: 'rm', stopFirst: true, oneOff: true, timeoutS: 0 })) void m;
      };
      if (detach) {
        io.stdout.write(`${created.name}\n`);
        return 0;
      }
      const runtime = new Runtime(stateLayout(stateRoots()));
      const config = runtime.readConfig(created.id);
      if (!config) throw new TscComposeError('TSC_NO_SUCH_CONTAINER', `container ${created.name} vanished`);
      let consoleDone: Promise<void> | undefined;
      const onResize = (): void => runtime.resizeTerminal(config.id, process.stdout.rows ?? 24, process.stdout.columns ?? 80);
      try {
        const started = await runtime.start(
          config,
          serviceName,
          useTty ? { stdin: process.stdin, terminal: { rows: process.stdout.rows ?? 24, cols: process.stdout.columns ?? 80, output: process.stdout } } : interactive ? { stdin: process.stdin } : {},
        );
        consoleDone = started.consoleDone;
        printWarnings(started.warnings.map((w) => `${serviceName}: ${w}`), io.stderr);
        await client.json('POST', '/v1/adopt', { id: created.id });
      } catch (err) {
        await removeIt().catch(() => undefined);
        throw err;
      }
      if (useTty && process.stdin.isTTY) {
        process.stdin.setRawMode(true);
        process.stdout.on('resize', onResize);
      }
      let stopping = false;
      const stop = (): void => {
        if (stopping) {
          void runtime.kill(config.id, 'SIGKILL').catch(() => undefined);
          return;
        }
        stopping = true;
        void runtime.stop(config.id, config.stopSignal, config.stopTimeoutMs);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        if (consoleDone) await consoleDone;
        else {
          await followLog(runtime.paths(config.id).log, () => !runtime.isRunning(config.id), (r) => {
            (r.stream === 'stderr' ? io.stderr : io.stdout).write(r.partial ? r.text : `${r.text}\n`);
          });
        }
        await runtime.wait(config.id);
        const status = await runtime.exitStatus(config.id);
        if (status?.oomKilled) io.stderr.write(`container ${config.name} was killed: out of memory (OOMKilled)\n`);
        return status?.exitCode ?? 1;
      } finally {
        if (useTty && process.stdin.isTTY) process.stdin.setRawMode(false);
        process.stdout.off('resize', onResize);
        process.stdin.unpipe();
        process.stdin.destroy();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        if (flag(options, 'rm')) await removeIt();
      }
    });
  },
};

/** `--entrypoint` split into words as docker compose splits it (go-shellwords); `''` clears the image's entrypoint. */
function parseEntrypoint(text: string | undefined, io: CommandIO): string[] | undefined {
  if (text === undefined) return undefined;
  const split = splitShellWords(text);
  if ('problem' in split) throw new UsageError(`invalid argument ${JSON.stringify(text)} for "--entrypoint": ${split.problem}`);
  if (split.ignoredFrom !== undefined) {
    printWarnings([`--entrypoint: "${text.slice(split.ignoredFrom)}" is ignored, as docker compose ignores what follows an unquoted ;, &, |, < or > (run it with sh -c)`], io.stderr);
  }
  return split.words;
}
