/**
 * Waiting on containers as docker compose does: a `depends_on` condition
 * (service_started, service_healthy, service_completed_successfully) and
 * `up --wait` (every container running, healthy when it has a check). They
 * poll the engine's records, which the supervisor keeps current.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TscComposeError } from '../errors/index.js';
import type { DependencyCondition, DesiredState } from '../plan/desired.js';
import type { TimelineEntry } from '../events/timeline.js';
import type { ContainerRecord, EngineStore } from './state/store.js';
import type { Emit } from './progress.js';
import { report } from './progress.js';
import { exited, healthy, waiting } from '../events/progress.js';

const POLL_MS = 25;

export interface ContainerStates {
  isRunning(id: string): boolean;
  /** A restart policy is bringing it back. */
  isRestarting(id: string): boolean;
}

export class ServiceConditions {
  constructor(
    private readonly store: EngineStore,
    private readonly states: ContainerStates,
  ) {}

  private containersOfService(projectName: string, service: string): ContainerRecord[] {
    return this.store.containersOf(projectName).filter((c) => c.service === service && !c.oneOff);
  }

  /** depends_on conditions, as docker compose checks them. */
  async waitForCondition(projectName: string, service: string, condition: DependencyCondition, required: boolean, emit: Emit, timeline?: Map<string, TimelineEntry>): Promise<void> {
    const containers = this.containersOfService(projectName, service);
    if (containers.length === 0) {
      if (!required) return;
      throw new TscComposeError('TSC_DEPENDENCY_FAILED', `dependency ${service} has no container`, { service });
    }
    for (const c of containers) {
      const id = `Container ${c.name}`;
      if (condition === 'service_started') continue;
      report(emit, waiting(id));
      for (;;) {
        const record = this.store.containers.get(c.id);
        if (!record) throw new TscComposeError('TSC_DEPENDENCY_FAILED', `dependency failed to start: container ${c.name} was removed`, { service });
        const running = this.states.isRunning(c.id);
        const restarting = this.states.isRestarting(c.id);
        if (condition === 'service_healthy') {
          if (!record.healthcheck) {
            if (!required) break;
            throw new TscComposeError('TSC_DEPENDENCY_FAILED', `dependency failed to start: container ${c.name} has no healthcheck configured`, { service });
          }
          if (record.health?.status === 'healthy' && running) {
            report(emit, healthy(id));
            const entry = timeline?.get(service);
            if (entry) entry.healthyAt ??= Date.now();
            break;
          }
          if (record.health?.status === 'unhealthy') {
            if (!required) break;
            throw new TscComposeError('TSC_DEPENDENCY_FAILED', `dependency failed to start: container ${c.name} is unhealthy`, { service });
          }
          if (!running && !restarting && record.finishedAt) {
            throw new TscComposeError('TSC_DEPENDENCY_FAILED', `dependency failed to start: container ${c.name} exited (${record.exitCode ?? '?'})`, { service });
          }
        } else if (condition === 'service_completed_successfully') {
          if (!running && !restarting && record.finishedAt) {
            if (record.exitCode === 0) {
              report(emit, exited(id, 0));
              break;
            }
            throw new TscComposeError('TSC_DEPENDENCY_FAILED', `service "${service}" didn't complete successfully: exit ${record.exitCode}`, { service });
          }
        }
        await sleep(POLL_MS);
      }
    }
  }

  /** `up --wait`: every selected container running (and healthy when it has a health check). */
  async waitReady(projectName: string, desired: DesiredState, timeoutS: number | undefined, emit: Emit, timeline: Map<string, TimelineEntry>): Promise<void> {
    const deadline = timeoutS !== undefined && timeoutS > 0 ? Date.now() + timeoutS * 1000 : Infinity;
    const completionDeps = new Set<string>();
    for (const s of desired.services) for (const [dep, d] of Object.entries(s.dependsOn)) if (d.condition === 'service_completed_successfully') completionDeps.add(dep);
    for (const s of desired.services) {
      for (const c of this.containersOfService(projectName, s.name)) {
        for (;;) {
          const record = this.store.containers.get(c.id);
          if (!record) break;
          const running = this.states.isRunning(c.id);
          if (running && (!record.healthcheck || record.health?.status === 'healthy')) {
            if (record.healthcheck) {
              report(emit, healthy(`Container ${c.name}`));
              const entry = timeline.get(s.name) ?? { name: s.name };
              entry.healthyAt ??= Date.now();
              timeline.set(s.name, entry);
            }
            break;
          }
          if (!running && record.finishedAt && !this.states.isRestarting(c.id)) {
            if (completionDeps.has(s.name) && record.exitCode === 0) break;
            throw new TscComposeError('TSC_WAIT_FAILED', `container ${c.name} exited (${record.exitCode})`, { service: s.name });
          }
          if (record.health?.status === 'unhealthy') throw new TscComposeError('TSC_WAIT_FAILED', `container ${c.name} is unhealthy`, { service: s.name });
          if (Date.now() > deadline) throw new TscComposeError('TSC_WAIT_TIMEOUT', `timeout waiting for ${c.name} to be ${record.healthcheck ? 'healthy' : 'running'}`, { service: s.name });
          await sleep(POLL_MS);
        }
      }
    }
  }
}
