/**
 * Keeps running containers as their policies say, inside the engine: notices
 * every exit (the monitor writes the status file; inotify tells us at once, a
 * slow poll is the safety net), records it, applies the restart policy with
 * backoff, and runs health checks. Decisions come from restart-policy.ts and
 * health/monitor.ts; this module only wires them to containers and timers.
 */
import * as fs from 'node:fs';
import { isLiveProcess } from '../sys/process.js';
import type { EngineStore, ContainerRecord } from './state/store.js';
import type { ContainerLifecycle, LifecycleEvents } from './containers.js';
import { decideRestart } from './restart-policy.js';
import { HealthMonitor } from './health/monitor.js';
import { execProbe } from './health/exec-probe.js';
import type { HealthState } from './health/healthcheck.js';

const SAFETY_POLL_MS = 500;

interface Tracked {
  watcher?: fs.FSWatcher | undefined;
  health?: HealthMonitor | undefined;
  startedAtMs: number;
}

export class Supervisor {
  private readonly tracked = new Map<string, Tracked>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly lastDelay = new Map<string, number>();
  /** Containers the engine itself is stopping (recreate, down): their exit is expected. */
  private readonly expected = new Set<string>();
  private readonly poll: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly store: EngineStore,
    private readonly lifecycle: ContainerLifecycle,
    private readonly events: LifecycleEvents,
    private readonly log: (message: string) => void,
  ) {
    this.poll = setInterval(() => this.checkAll(), SAFETY_POLL_MS);
    this.poll.unref();
  }

  /** Starts watching a container the lifecycle just started (or that was running when the engine came up). */
  track(record: ContainerRecord): void {
    this.untrack(record.id);
    const runtime = this.lifecycle.runtime;
    const paths = runtime.paths(record.id);
    const entry: Tracked = { startedAtMs: record.startedAt ? Date.parse(record.startedAt) : Date.now() };
    try {
      entry.watcher = fs.watch(paths.runDir, (_event, file) => {
        if (file === 'status') this.check(record.id);
      });
      entry.watcher.on('error', () => undefined);
    } catch {
      // The safety poll still notices the exit.
    }
    if (record.healthcheck) {
      const monitor = new HealthMonitor(record.healthcheck, execProbe(runtime, record.id), {
        startedAtMs: entry.startedAtMs,
        ...(record.health ? { initial: record.health } : {}),
        onChange: (state) => this.onHealth(record.id, state),
      });
      entry.health = monitor;
      monitor.start();
    }
    this.tracked.set(record.id, entry);
    this.check(record.id);
  }

  untrack(id: string): void {
    const entry = this.tracked.get(id);
    if (!entry) return;
    entry.watcher?.close();
    entry.health?.stop();
    this.tracked.delete(id);
  }

  cancelRestart(id: string): void {
    const timer = this.restartTimers.get(id);
    if (timer) clearTimeout(timer);
    this.restartTimers.delete(id);
  }

  isRestarting(id: string): boolean {
    return this.restartTimers.has(id);
  }

  /** The next exit of this container is the engine's doing: no restart policy applies. */
  expectExit(id: string): void {
    this.expected.add(id);
    this.cancelRestart(id);
  }

  clearExpected(id: string): void {
    this.expected.delete(id);
  }

  private onHealth(id: string, state: HealthState): void {
    const previous = this.store.containers.get(id)?.health?.status;
    const record = this.store.updateContainer(id, (r) => {
      r.health = state;
    });
    if (record && previous !== state.status) this.events.emit({ type: 'health_status', container: record, attributes: { status: state.status } });
  }

  private checkAll(): void {
    for (const id of [...this.tracked.keys()]) this.check(id);
  }

  private check(id: string): void {
    if (!this.tracked.has(id)) return;
    const runtime = this.lifecycle.runtime;
    if (runtime.isRunning(id)) return;
    const state = runtime.state(id);
    // The monitor has not reported yet (or is gone without a status): look again on the next tick.
    if (state && !fs.existsSync(runtime.paths(id).status) && isLiveProcess(state.monitorPid)) return;
    this.untrack(id);
    void this.onExit(id).catch((err: unknown) => this.log(`supervisor: ${id.slice(0, 12)}: ${(err as Error).message}`));
  }

  private async onExit(id: string): Promise<void> {
    const runtime = this.lifecycle.runtime;
    const status = await runtime.exitStatus(id);
    const finishedAt = status?.finishedAt ?? new Date().toISOString();
    const record = this.store.updateContainer(id, (r) => {
      r.exitCode = status?.exitCode ?? 255;
      r.oomKilled = status?.oomKilled === true;
      r.finishedAt = finishedAt;
      r.paused = false;
    });
    if (!record) return;
    await this.lifecycle.afterExit(id);
    this.events.emit({ type: 'die', container: record, attributes: { exitCode: String(record.exitCode) } });
    if (this.expected.delete(id) || this.closed) return;
    this.considerRestart(record, 'exit');
  }

  /** Applies the restart policy to a container that is not running. */
  considerRestart(record: ContainerRecord, reason: 'exit' | 'engine-boot'): void {
    const ranForMs = record.startedAt && record.finishedAt ? Date.parse(record.finishedAt) - Date.parse(record.startedAt) : 0;
    const decision = decideRestart(record.restartPolicy, {
      exitCode: record.exitCode ?? 0,
      restartCount: record.restartCount,
      stoppedByUser: record.stoppedByUser,
      ranForMs,
      previousDelayMs: this.lastDelay.get(record.id) ?? 0,
      reason,
    });
    if (!decision.restart) return;
    const delayMs = reason === 'engine-boot' ? 0 : decision.delayMs;
    this.lastDelay.set(record.id, delayMs);
    this.store.updateContainer(record.id, (r) => {
      r.restartAt = new Date(Date.now() + delayMs).toISOString();
    });
    this.cancelRestart(record.id);
    const timer = setTimeout(() => {
      this.restartTimers.delete(record.id);
      void this.restartNow(record.id).catch((err: unknown) => {
        this.log(`restart of ${record.name} failed: ${(err as Error).message}`);
        const again = this.store.updateContainer(record.id, (r) => {
          r.exitCode = r.exitCode ?? 255;
          r.finishedAt = new Date().toISOString();
        });
        if (again) this.considerRestart(again, 'exit');
      });
    }, delayMs);
    this.restartTimers.set(record.id, timer);
  }

  private async restartNow(id: string): Promise<void> {
    const record = this.store.updateContainer(id, (r) => {
      r.restartCount += 1;
      r.restartAt = undefined;
    });
    if (!record || record.stoppedByUser) return;
    const { record: started } = await this.lifecycle.start(id);
    this.events.emit({ type: 'restart', container: started });
    this.track(started);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    for (const id of [...this.tracked.keys()]) this.untrack(id);
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
  }
}
