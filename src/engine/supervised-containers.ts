/**
 * Each step of a container's life as the engine takes it, with the
 * supervisor's bookkeeping done in the one place: an exit the engine causes
 * (stop, restart, remove, kill) is announced to the supervisor first so no
 * restart policy answers it, and a started container is watched. The plan's
 * executor and the container commands (start, stop, rm, kill...) call one
 * method per step and never touch the supervisor themselves.
 */
import type { ContainerLifecycle, CreateRequest } from './containers.js';
import type { Supervisor } from './supervisor.js';
import type { ContainerRecord, EngineStore } from './state/store.js';

export type StartOptions = Parameters<ContainerLifecycle['start']>[1];
export type Started = Awaited<ReturnType<ContainerLifecycle['start']>>;

export class SupervisedContainers {
  constructor(
    private readonly store: EngineStore,
    private readonly lifecycle: ContainerLifecycle,
    private readonly supervisor: Supervisor,
  ) {}

  create(req: CreateRequest): Promise<ContainerRecord> {
    return this.lifecycle.create(req);
  }

  /** Starts it and watches it; a start by the engine or the user lifts an earlier `stop`. */
  async start(id: string, opts?: StartOptions): Promise<Started> {
    this.store.updateContainer(id, (r) => {
      r.stoppedByUser = false;
    });
    this.supervisor.clearExpected(id);
    const started = await this.lifecycle.start(id, opts);
    this.supervisor.track(started.record);
    return started;
  }

  /** Stops it; its exit is expected. `byUser` (the `stop` command) keeps restart policies from bringing it back. */
  async stop(id: string, opts: { byUser: boolean; timeoutMs?: number | undefined }): Promise<void> {
    this.supervisor.expectExit(id);
    await this.lifecycle.stop(id, opts);
  }

  /** Stops it (grace period `timeoutMs`) and starts it again in place. */
  async restart(id: string, timeoutMs: number | undefined): Promise<Started> {
    this.supervisor.expectExit(id);
    await this.lifecycle.stop(id, { byUser: false, timeoutMs });
    this.supervisor.untrack(id);
    return this.start(id);
  }

  /** Stops it if it still runs and removes it with everything it held; `volumes`: its anonymous volumes too. */
  async remove(id: string, opts: { volumes?: boolean | undefined; timeoutMs?: number | undefined } = {}): Promise<void> {
    this.supervisor.expectExit(id);
    this.supervisor.untrack(id);
    await this.lifecycle.stop(id, { byUser: false, timeoutMs: opts.timeoutMs });
    await this.lifecycle.remove(id, { volumes: opts.volumes === true });
    this.supervisor.clearExpected(id);
  }

  /** Sends a signal; the exit it causes is the user's `stop`, not a crash. */
  async kill(id: string, signal: string): Promise<void> {
    this.store.updateContainer(id, (r) => {
      r.stoppedByUser = true;
    });
    this.supervisor.expectExit(id);
    await this.lifecycle.runtime.kill(id, signal);
  }

  /** A container that already runs (re-adopted by a new engine, or started by the CLI itself): watched from now on. */
  watch(record: ContainerRecord): void {
    this.supervisor.track(record);
  }
}
