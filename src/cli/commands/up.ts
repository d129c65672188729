/**
 * `up`: the engine converges the project; then, attached, the services' output
 * with `service-1  | ` prefixes until every container has exited or Ctrl-C
 * (first: graceful stop, second: kill). `create` is `up --no-start`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command, CommandIO } from '../command.js';
import { flag, listOption, parseOptions, stringOption } from '../args.js';
import type { ParsedOptions } from '../args.js';
import type { GlobalOptions } from '../global-options.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import { isPullProgress, loadProjectRef, noSuchService, runStreamed, withEngine } from '../session.js';
import { attachedServices } from '../selection.js';
import { withoutBuilds } from '../build-policy.js';
import type { EngineClient } from '../engine-client.js';
import type { ContainerSummary, ProjectRef, UpOptions } from '../../engine/api/protocol.js';
import { LogPrinter } from '../../ui/log-printer.js';
import { useColor } from '../terminal.js';

/** Options `create` and `up` share (create is up --no-start). */
const CREATE_OPTIONS = [
  { name: 'dry-run', type: 'boolean' as const },
  { name: 'force-recreate', type: 'boolean' as const },
  { name: 'no-recreate', type: 'boolean' as const },
  { name: 'no-deps', type: 'boolean' as const },
  { name: 'scale', type: 'string' as const, multiple: true },
  { name: 'remove-orphans', type: 'boolean' as const },
  { name: 'timeout', short: 't', type: 'string' as const },
  { name: 'pull', type: 'string' as const },
  { name: 'quiet-pull', type: 'boolean' as const },
  { name: 'build', type: 'boolean' as const },
  { name: 'no-build', type: 'boolean' as const },
  { name: 'yes', short: 'y', type: 'boolean' as const },
];

/** Options of `up` alone: starting, waiting, and the attached log display. */
const UP_OPTIONS = [
  ...CREATE_OPTIONS,
  { name: 'detach', short: 'd', type: 'boolean' as const },
  { name: 'wait', type: 'boolean' as const },
  { name: 'wait-timeout', type: 'string' as const },
  { name: 'no-start', type: 'boolean' as const },
  { name: 'abort-on-container-exit', type: 'boolean' as const },
  { name: 'abort-on-container-failure', type: 'boolean' as const },
  { name: 'exit-code-from', type: 'string' as const },
  { name: 'attach', type: 'string' as const, multiple: true },
  { name: 'no-attach', type: 'string' as const, multiple: true },
  { name: 'attach-dependencies', type: 'boolean' as const },
  { name: 'no-color', type: 'boolean' as const },
  { name: 'no-log-prefix', type: 'boolean' as const },
  { name: 'timestamps', type: 'boolean' as const },
  { name: 'menu', type: 'boolean' as const },
];

/** What only an attached `up` does (it prints the services' logs): meaningless with -d, --wait or --no-start. */
const ATTACHED_ONLY = ['attach', 'no-attach', 'attach-dependencies', 'no-color', 'no-log-prefix', 'timestamps', 'abort-on-container-exit', 'abort-on-container-failure', 'exit-code-from'];

/** Flags docker compose has that tsc-compose refuses, each with the reason. */
function refuseUnsupported(options: ParsedOptions): void {
  if (flag(options, 'build')) throw new TscComposeError('TSC_BUILD_UNSUPPORTED', '--build: building images is not supported yet (services with an `image:` run it; --no-build runs the image of a built one)');
  if (flag(options, 'yes')) {
    throw new UsageError('--yes/-y: up asks no questions (there are no remote includes, and a volume whose configuration changed is kept, never recreated), so there is nothing to answer yes to; drop the flag');
  }
  if (flag(options, 'menu')) throw new UsageError('--menu (keyboard shortcuts of an attached up) is not supported; drop the flag');
}

function parseScale(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const m = /^([^=]+)=(\d+)$/.exec(v);
    if (!m) throw new UsageError(`invalid --scale "${v}": expected SERVICE=NUM`);
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}

function seconds(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`invalid ${option} "${value}": expected a number of seconds`);
  return Number(value);
}

export function upCommand(createOnly: boolean): Command {
  return {
    usage: createOnly
      ? 'tsc-compose create [--dry-run] [--force-recreate] [--no-recreate] [--no-deps] [--pull P] [--quiet-pull] [--no-build] [--scale S=N] [--remove-orphans] [-t S] [SERVICE...]'
      : 'tsc-compose up [-d] [--wait] [--wait-timeout S] [--no-start] [--dry-run] [--force-recreate] [--no-recreate] [--no-deps] [--scale S=N] [--remove-orphans] [--abort-on-container-exit] [--abort-on-container-failure] [--exit-code-from S] [--attach S] [--no-attach S] [--attach-dependencies] [--no-color] [--no-log-prefix] [--timestamps] [-t S] [--pull P] [--quiet-pull] [--no-build] [SERVICE...]',
    async run(args, global, io) {
      const { options, positionals } = parseOptions(args, createOnly ? CREATE_OPTIONS : UP_OPTIONS);
      refuseUnsupported(options);
      const noStart = createOnly || flag(options, 'no-start');
      const exitCodeFrom = stringOption(options, 'exit-code-from');
      const abort = flag(options, 'abort-on-container-exit') || exitCodeFrom !== undefined;
      const abortOnFailure = flag(options, 'abort-on-container-failure');
      const detachedBy = noStart ? '--no-start' : flag(options, 'wait') ? '--wait' : flag(options, 'detach') ? '--detach' : undefined;
      const attachedOnly = ATTACHED_ONLY.find((name) => options[name] !== undefined);
      if (detachedBy !== undefined && attachedOnly !== undefined) throw new UsageError(`--${attachedOnly} and ${detachedBy} are incompatible: --${attachedOnly} is about the logs an attached up prints`);
      if (noStart && flag(options, 'wait')) throw new UsageError('--no-start and --wait are incompatible');
      if (options['wait-timeout'] !== undefined && !flag(options, 'wait')) throw new UsageError('--wait-timeout needs --wait');
      if (flag(options, 'force-recreate') && flag(options, 'no-recreate')) throw new UsageError('--force-recreate and --no-recreate are incompatible');
      const scale = parseScale(listOption(options, 'scale'));
      const loaded = await loadProjectRef(global, io, positionals);
      for (const s of [...(exitCodeFrom !== undefined ? [exitCodeFrom] : []), ...listOption(options, 'attach'), ...listOption(options, 'no-attach'), ...Object.keys(scale)]) {
        if (!Object.hasOwn(loaded.project.services, s)) throw noSuchService(s);
      }
      let ref = loaded;
      if (flag(options, 'no-build')) {
        const host = (await import('../../engine/host.js')).openHost();
        ref = withoutBuilds(loaded, positionals, flag(options, 'no-deps'), (image) => host.images.find(image) !== undefined);
      }
      const upOptions: UpOptions = {
        services: positionals,
        noStart,
        forceRecreate: flag(options, 'force-recreate'),
        noRecreate: flag(options, 'no-recreate'),
        noDeps: flag(options, 'no-deps'),
        scale,
        removeOrphans: flag(options, 'remove-orphans'),
        wait: flag(options, 'wait'),
        waitTimeoutS: seconds(stringOption(options, 'wait-timeout'), '--wait-timeout'),
        pull: stringOption(options, 'pull'),
        timeoutS: seconds(stringOption(options, 'timeout'), '--timeout'),
        dryRun: flag(options, 'dry-run') || global.dryRun,
      };
      return withEngine(async (client) => {
        const startedAt = new Date().toISOString();
        await runStreamed(client, '/v1/up', { ref, options: upOptions }, global, io, {
          title: upOptions.dryRun ? 'Plan' : 'Running',
          ...(flag(options, 'quiet-pull') ? { hideProgress: isPullProgress } : {}),
          showTimeline: !upOptions.dryRun && !noStart,
          onMessage: (m) => {
            if (m.type === 'plan') io.stdout.write(`${m.text}\n`);
          },
        });
        if (detachedBy !== undefined || upOptions.dryRun) return 0;
        return attach(client, ref, global, io, {
          since: startedAt,
          shown: attachedServices(ref.project, {
            services: positionals,
            attach: listOption(options, 'attach'),
            noAttach: listOption(options, 'no-attach'),
            attachDependencies: flag(options, 'attach-dependencies'),
          }),
          abort,
          abortOnFailure,
          exitCodeFrom,
          color: !flag(options, 'no-color') && useColor(global, io.stdout as NodeJS.WriteStream),
          prefix: !flag(options, 'no-log-prefix'),
          timestamps: flag(options, 'timestamps'),
          timeoutS: upOptions.timeoutS,
        });
      });
    },
  };
}

interface AttachOptions {
  since: string;
  /** The services whose logs are printed. */
  shown: Set<string>;
  abort: boolean;
  abortOnFailure: boolean;
  exitCodeFrom: string | undefined;
  color: boolean;
  prefix: boolean;
  timestamps: boolean;
  timeoutS: number | undefined;
}

/** Attached `up`: logs with prefixes until all containers exit, an abort condition, or Ctrl-C. */
async function attach(client: EngineClient, ref: ProjectRef, global: GlobalOptions, io: CommandIO, opts: AttachOptions): Promise<number> {
  const projectName = ref.project.name;
  const list = async (): Promise<ContainerSummary[]> => (await client.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(projectName)}&all=1`)).filter((c) => !c.OneOff);
  const containers = await list();
  const shown = (service: string): boolean => opts.shown.has(service);
  const printer = new LogPrinter({ out: io.stdout, names: containers.map((c) => c.Name), color: opts.color, prefix: opts.prefix, timestamps: opts.timestamps });
  const controller = new AbortController();
  const exitCodes = new Map<string, number>();
  let stopping = false;
  let forced = false;
  let result: number | undefined;
  // The streams below end quietly when the command stops them; an engine that went away must still be reported.
  let engineGone: TscComposeError | undefined;
  const keepEngineGone = (err: unknown): void => {
    if (err instanceof TscComposeError && err.code === 'TSC_ENGINE_GONE') engineGone ??= err;
  };

  const stopAll = async (): Promise<void> => {
    io.stderr.write('Gracefully stopping... (press Ctrl+C again to force)\n');
    await runStreamed(client, '/v1/action', { projectName, project: ref.project, services: [], action: 'stop', timeoutS: opts.timeoutS }, { ...global, progress: global.progress === 'auto' ? 'plain' : global.progress }, io, { title: 'Stopping' }).catch(() => undefined);
  };
  let lastLogAt = Date.now();
  /** Lets the log stream deliver what the containers wrote while they stopped (their last lines), then ends it. */
  const drainThenAbort = async (): Promise<void> => {
    // The engine reads log files every 20 ms: 300 ms after the stop, and as long as lines keep coming (at most 1.5 s).
    const stoppedAt = Date.now();
    const deadline = stoppedAt + 1500;
    while (Date.now() < deadline && (Date.now() - stoppedAt < 300 || Date.now() - lastLogAt < 200)) await sleep(50);
    controller.abort();
  };
  const onSignal = (): void => {
    if (!stopping) {
      stopping = true;
      void stopAll().then(drainThenAbort);
      return;
    }
    if (!forced) {
      forced = true;
      void client.stream('POST', '/v1/action', { projectName, services: [], action: 'kill', signal: 'SIGKILL' }).next().catch(() => undefined);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const logs = (async (): Promise<void> => {
    const q = new URLSearchParams({ project: projectName, follow: '1', since: opts.since });
    for await (const m of client.stream('GET', `/v1/logs?${q.toString()}`, undefined, controller.signal)) {
      if (m.type !== 'log' || !shown(m.log.service)) continue;
      lastLogAt = Date.now();
      printer.print(m.log.container, m.log.stream, m.log.partial ? m.log.text : `${m.log.text}\n`, m.log.time);
    }
  })().catch(keepEngineGone);

  const watch = (async (): Promise<void> => {
    const q = new URLSearchParams({ project: projectName });
    const events = client.stream('GET', `/v1/events?${q.toString()}`, undefined, controller.signal);
    // Subscribed first, then look: an exit between the two cannot be missed.
    await events.next();
    /** Containers whose exit was reported (until they start again): an exit is reported once, from its event or from a look at the list. */
    const reported = new Set<string>();
    const onDie = async (service: string, name: string, code: number): Promise<boolean> => {
      reported.add(name);
      exitCodes.set(service, code);
      // Give the log reader a moment to print the last lines before the exit line.
      await sleep(50);
      if (shown(service)) io.stdout.write(`${name} exited with code ${code}\n`);
      if (!stopping && (opts.abort || (opts.abortOnFailure && code !== 0))) {
        stopping = true;
        if (opts.exitCodeFrom === undefined || opts.exitCodeFrom === service) result ??= code;
        io.stderr.write('Aborting on container exit...\n');
        await stopAll();
        return true;
      }
      return false;
    };
    /**
     * Whether attached up is over: every container stopped, or an abort. Exits
     * not reported yet are reported first: those from before the
     * subscription, and those that came while the last event was handled
     * (two containers ending together), so none escapes an abort condition.
     */
    const over = async (): Promise<boolean> => {
      const all = await list();
      for (const c of all) {
        if (c.State === 'exited' && !reported.has(c.Name) && (await onDie(c.Service, c.Name, c.ExitCode))) return true;
      }
      return all.every((c) => c.State !== 'running' && c.State !== 'restarting' && c.State !== 'paused');
    };
    if (await over()) return;
    for await (const m of events) {
      if (m.type !== 'event') continue;
      if (m.event.type === 'start') reported.delete(m.event.name);
      if (m.event.type !== 'die' || reported.has(m.event.name)) continue;
      if (await onDie(m.event.service, m.event.name, Number(m.event.attributes['exitCode'] ?? 0))) return;
      await sleep(100);
      if (await over()) return;
    }
  })().catch(keepEngineGone);

  try {
    await watch;
  } finally {
    controller.abort();
    await logs;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (engineGone !== undefined) throw engineGone;
  if (opts.exitCodeFrom !== undefined) {
    const code = exitCodes.get(opts.exitCodeFrom);
    if (code !== undefined) return code;
    const c = (await list()).find((x) => x.Service === opts.exitCodeFrom);
    return c?.ExitCode ?? 0;
  }
  // Stopped by a container's exit (--abort-on-container-exit, or a failure with --abort-on-container-failure): its code; by Ctrl-C: 130.
  return result ?? (stopping ? 130 : 0);
}

export const command = upCommand(false);
export const createCommand = upCommand(true);
