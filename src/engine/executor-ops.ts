/**
 * One function per operation type (docker compose's executor_ops.go): the
 * host calls that carry the operation out, with its progress rows. Nothing
 * here chooses: what to act on, in which order and with which grace period
 * all come from the operation.
 */
import { TscComposeError } from '../errors/index.js';
import type { Operation, WaitCondition } from '../plan/plan.js';
import type { Emit } from './progress.js';
import { report } from './progress.js';
import type { ProgressEvent } from '../events/progress.js';
import { created, creating, failed, removed, removing, restarted, restarting, started, starting, stopped, stopping } from '../events/progress.js';

/** What the executor needs of the engine: one capability per kind of resource, and a way to report. */
export interface ExecutorHost {
  networks: {
    create(name: string): Promise<void>;
    remove(name: string): Promise<void>;
  };
  volumes: {
    create(name: string): Promise<void>;
    remove(name: string): Promise<void>;
  };
  images: {
    remove(reference: string): Promise<void>;
  };
  containers: {
    create(spec: { service: string; number: number }): Promise<{ id: string }>;
    start(id: string): Promise<{ warnings: string[] }>;
    /** Stops it; timeoutS: grace period before SIGKILL (the container's own when undefined). */
    stop(id: string, timeoutS: number | undefined): Promise<void>;
    /** Removes a container the plan stopped before. */
    remove(id: string): Promise<void>;
    /** Stops it (grace period as for stop) and starts it again in place. */
    restart(id: string, timeoutS: number | undefined): Promise<void>;
  };
  /** Resolves once `condition` holds; `waiter` is the service that waits. */
  waitForCondition(waiter: string | undefined, condition: WaitCondition): Promise<void>;
  emit: Emit;
}

/** One run of a plan: its host, and the containers it created so far by resource, for the operations that follow their creation. */
export interface Execution {
  host: ExecutorHost;
  created: Map<string, string>;
}

function nameOf(op: Operation): string {
  if (op.name === undefined) throw new TscComposeError('TSC_PLAN', `plan: #${op.id} ${op.type} ${op.resource} has no name`);
  return op.name;
}

/** The container acted on: an existing one, or the one this run created for the same resource. */
function containerOf(op: Operation, execution: Execution): string {
  const id = op.containerId ?? execution.created.get(op.resource);
  if (id === undefined) throw new TscComposeError('TSC_PLAN', `plan: #${op.id} ${op.type}: no container for ${op.resource}`);
  return id;
}

function containerLabel(op: Operation): string {
  return `Container ${op.containerName ?? op.resource}`;
}

type Row = (id: string) => ProgressEvent;

/** Progress rows around one step: `working` before, `done` after, Error with the message when it fails (as compose shows it). */
async function step(emit: Emit, label: string, working: Row, done: Row, work: () => Promise<void>): Promise<void> {
  report(emit, working(label));
  try {
    await work();
  } catch (err) {
    report(emit, failed(label, err instanceof Error ? err.message : String(err)));
    throw err;
  }
  report(emit, done(label));
}

export function createNetwork(op: Operation, { host }: Execution): Promise<void> {
  const name = nameOf(op);
  return step(host.emit, `Network ${name}`, creating, created, () => host.networks.create(name));
}

export function removeNetwork(op: Operation, { host }: Execution): Promise<void> {
  const name = nameOf(op);
  return step(host.emit, `Network ${name}`, removing, removed, () => host.networks.remove(name));
}

export function recreateNetwork(op: Operation, { host }: Execution): Promise<void> {
  const name = nameOf(op);
  return step(host.emit, `Network ${name}`, creating, created, async () => {
    await host.networks.remove(name);
    await host.networks.create(name);
  });
}

export function createVolume(op: Operation, { host }: Execution): Promise<void> {
  const name = nameOf(op);
  return step(host.emit, `Volume ${name}`, creating, created, () => host.volumes.create(name));
}

export function removeVolume(op: Operation, { host }: Execution): Promise<void> {
  const name = nameOf(op);
  return step(host.emit, `Volume ${name}`, removing, removed, () => host.volumes.remove(name));
}

export function createContainer(op: Operation, execution: Execution): Promise<void> {
  const { host, created: createdIds } = execution;
  const service = op.service;
  if (service === undefined || op.number === undefined) throw new TscComposeError('TSC_PLAN', `plan: #${op.id} CreateContainer ${op.resource} names no service and number`);
  const number = op.number;
  return step(host.emit, containerLabel(op), creating, created, async () => {
    const { id } = await host.containers.create({ service, number });
    createdIds.set(op.resource, id);
  });
}

export function startContainer(op: Operation, execution: Execution): Promise<void> {
  const { host } = execution;
  return step(host.emit, containerLabel(op), starting, started, async () => {
    const { warnings } = await host.containers.start(containerOf(op, execution));
    for (const w of warnings) host.emit({ type: 'warning', message: `${op.containerName ?? op.resource}: ${w}` });
  });
}

export function stopContainer(op: Operation, execution: Execution): Promise<void> {
  const { host } = execution;
  return step(host.emit, containerLabel(op), stopping, stopped, () => host.containers.stop(containerOf(op, execution), op.timeoutS));
}

export function removeContainer(op: Operation, execution: Execution): Promise<void> {
  const { host } = execution;
  return step(host.emit, containerLabel(op), removing, removed, () => host.containers.remove(containerOf(op, execution)));
}

export function restartContainer(op: Operation, execution: Execution): Promise<void> {
  const { host } = execution;
  return step(host.emit, containerLabel(op), restarting, restarted, () => host.containers.restart(containerOf(op, execution), op.timeoutS));
}

export async function waitDependency(op: Operation, { host }: Execution): Promise<void> {
  if (!op.condition) throw new TscComposeError('TSC_PLAN', `plan: #${op.id} WaitDependency ${op.resource} has no condition`);
  await host.waitForCondition(op.service, op.condition);
}

export function removeImage(op: Operation, { host }: Execution): Promise<void> {
  const reference = nameOf(op);
  return step(host.emit, `Image ${reference}`, removing, removed, () => host.images.remove(reference));
}
