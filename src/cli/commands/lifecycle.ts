/** start, stop, restart, kill, pause, unpause, rm: the engine acts on the project's containers (in dependency order where it matters). */
import * as os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command, CommandIO } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import type { OptionSpec, ParsedOptions } from '../args.js';
import type { GlobalOptions } from '../global-options.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import { checkServices, projectNameOnly, removeOrphans, runStreamed, withEngine } from '../session.js';
import type { ProjectTarget } from '../session.js';
import type { EngineClient } from '../engine-client.js';
import type { ActionRequest, ContainerAction, ContainerSummary } from '../../engine/api/protocol.js';
import { restartSelection, waitVerdict } from '../selection.js';
import { confirm } from '../prompt.js';
import { unreachable } from '../../errors/index.js';

interface Verb {
  action: ContainerAction;
  usage: string;
  options: OptionSpec[];
  title: string;
}

const TIMEOUT: OptionSpec = { name: 'timeout', short: 't', type: 'string' };

const VERBS: Record<string, Verb> = {
  start: {
    action: 'start',
    usage: 'tsc-compose start [--wait] [--wait-timeout S] [SERVICE...]',
    options: [
      { name: 'wait', type: 'boolean' },
      { name: 'wait-timeout', type: 'string' },
    ],
    title: 'Starting',
  },
  stop: { action: 'stop', usage: 'tsc-compose stop [-t S] [SERVICE...]', options: [TIMEOUT], title: 'Stopping' },
  restart: { action: 'restart', usage: 'tsc-compose restart [-t S] [--no-deps] [SERVICE...]', options: [TIMEOUT, { name: 'no-deps', type: 'boolean' }], title: 'Restarting' },
  kill: { action: 'kill', usage: 'tsc-compose kill [-s SIGNAL] [--remove-orphans] [SERVICE...]', options: [{ name: 'signal', short: 's', type: 'string' }, { name: 'remove-orphans', type: 'boolean' }], title: 'Killing' },
  pause: { action: 'pause', usage: 'tsc-compose pause [SERVICE...]', options: [], title: 'Pausing' },
  unpause: { action: 'unpause', usage: 'tsc-compose unpause [SERVICE...]', options: [], title: 'Unpausing' },
  rm: {
    action: 'rm',
    usage: 'tsc-compose rm [-f] [-s] [-v] [SERVICE|CONTAINER...]',
    options: [
      { name: 'force', short: 'f', type: 'boolean' },
      { name: 'stop', short: 's', type: 'boolean' },
      { name: 'volumes', short: 'v', type: 'boolean' },
      { name: 'all', short: 'a', type: 'boolean' },
    ],
    title: 'Removing',
  },
};

function seconds(options: ParsedOptions, name: string): number | undefined {
  const value = stringOption(options, name);
  if (value !== undefined && !/^\d+$/.test(value)) throw new UsageError(`invalid --${name} "${value}": expected seconds`);
  return value === undefined ? undefined : Number(value);
}

/** `-s KILL`, `-s SIGKILL` and `-s 9` are the same signal; anything else is refused before the engine is asked. */
export function signalName(value: string): string {
  const signals = os.constants.signals as Record<string, number>;
  if (/^\d+$/.test(value)) {
    const name = Object.keys(signals).find((n) => signals[n] === Number(value));
    if (name) return name;
  } else {
    const name = value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`;
    if (Object.hasOwn(signals, name)) return name;
  }
  throw new UsageError(`invalid signal "${value}": expected a signal name (SIGTERM, KILL, ...) or number`);
}

export function lifecycleCommand(verb: string): Command {
  const v = VERBS[verb] as Verb;
  return {
    usage: v.usage,
    async run(args, global, io) {
      const { options, positionals } = parseOptions(args, v.options);
      if (flag(options, 'all')) throw new UsageError('rm -a/--all is not supported: docker compose keeps it only as a deprecated flag without effect; rm removes the stopped containers of the named services (all services when none is named)');
      const timeoutS = seconds(options, 'timeout');
      const waitTimeoutS = seconds(options, 'wait-timeout');
      if (waitTimeoutS !== undefined && !flag(options, 'wait')) throw new UsageError('--wait-timeout needs --wait');
      const signal = stringOption(options, 'signal');
      const target = await projectNameOnly(global, io);
      // `rm` also takes container names (one-off containers made by `run --name`).
      await checkServices(target, positionals, { containerNames: v.action === 'rm' });
      if (flag(options, 'remove-orphans') && !target.ref) throw new UsageError('--remove-orphans needs the compose file: it is what tells which containers are orphans');
      const services = v.action === 'restart' && target.ref ? restartSelection(target.ref.project, positionals, flag(options, 'no-deps')) : positionals;
      const request: ActionRequest = {
        projectName: target.name,
        project: target.ref?.project,
        services,
        action: v.action,
        signal: signal !== undefined ? signalName(signal) : undefined,
        timeoutS,
        force: flag(options, 'force'),
        stopFirst: flag(options, 'stop'),
        volumes: flag(options, 'volumes'),
      };
      return withEngine(async (client) => {
        if (v.action === 'rm') return remove(client, request, global, io);
        await runStreamed(client, '/v1/action', request, global, io, { title: v.title });
        // The orphans are killed as the rest is: no grace period.
        if (flag(options, 'remove-orphans')) await removeOrphans(client, target, 0, global, io);
        if (flag(options, 'wait')) await waitUntilReady(client, target, positionals, waitTimeoutS);
        return 0;
      });
    },
  };
}

/**
 * `rm`: the stopped containers of the selection (running ones too with -s),
 * one-off containers included; docker compose's question first, which -f
 * answers in advance.
 */
async function remove(client: EngineClient, request: ActionRequest, global: GlobalOptions, io: CommandIO): Promise<number> {
  const all = await client.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(request.projectName)}&all=1`);
  const named = (c: ContainerSummary): boolean => request.services.length === 0 || request.services.includes(c.Service) || request.services.includes(c.Name);
  const going = all.filter((c) => named(c) && (request.stopFirst === true || (c.State !== 'running' && c.State !== 'paused')));
  if (going.length === 0) {
    io.stderr.write('No stopped containers\n');
    return 0;
  }
  const message = `Going to remove ${going.map((c) => c.Name).join(', ')}`;
  if (request.force) io.stdout.write(`${message}\n`);
  else if (!(await confirm(`${message}\nAre you sure?`, io))) return 0;
  await runStreamed(client, '/v1/action', request, global, io, { title: 'Removing' });
  return 0;
}

/** `start --wait`: until every started container runs (and is healthy when it has a health check). */
async function waitUntilReady(client: EngineClient, target: ProjectTarget, services: readonly string[], timeoutS: number | undefined): Promise<void> {
  const deadline = timeoutS !== undefined ? Date.now() + timeoutS * 1000 : undefined;
  for (;;) {
    const list = (await client.json<ContainerSummary[]>('GET', `/v1/ps?project=${encodeURIComponent(target.name)}&all=1`)).filter((c) => !c.OneOff && (services.length === 0 || services.includes(c.Service)));
    const verdict = waitVerdict(list, target.ref?.project);
    switch (verdict.kind) {
      case 'ready':
        return;
      case 'failed':
        throw new TscComposeError('TSC_WAIT_FAILED', verdict.message, { service: verdict.service });
      case 'waiting':
        if (deadline !== undefined && Date.now() > deadline) throw new TscComposeError('TSC_WAIT_TIMEOUT', `timeout waiting for ${verdict.on} to be running and healthy`);
        await sleep(50);
        break;
      default:
        return unreachable(verdict);
    }
  }
}
