/**
 * The engine: one per host, long-lived. It owns the desired state (the
 * projects the CLI handed it) and the actual state (its records plus what the
 * runtime observes), turns their difference into a plan (src/plan, pure) and
 * carries the plan out; it supervises every container it started. Core code:
 * it reports through `emit` and never prints.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { TscComposeError } from '../errors/index.js';
import type { Project } from '../compose/model.js';
import type { Host } from './host.js';
import { EngineStore } from './state/store.js';
import type { ContainerRecord } from './state/store.js';
import { ContainerLifecycle } from './containers.js';
import { ProjectNetworking } from './networking.js';
import { Supervisor } from './supervisor.js';
import { resolveServiceImage } from './images.js';
import type { ResolvedImage } from './images.js';
import type { RunOverrides } from './service-container.js';
import type { NetworkHost } from '../network/host/index.js';
import type { DnsRecords } from '../network/dns/records.js';
import type { DnsServer } from '../network/dns/server.js';
import type { EngineSettings } from './config/settings.js';
import type { ActionRequest, ContainerSummary, DownOptions, EngineEvent, ProjectRef, ProjectSummary, StreamMessage, UpOptions } from './api/protocol.js';
import type { ProgressEvent } from '../events/progress.js';
import type { TimelineEntry } from '../events/timeline.js';
import { desiredFromProject } from '../plan/desired.js';
import type { DesiredState } from '../plan/desired.js';
import { planDown, reconcile } from '../plan/plan.js';
import type { Operation, Plan } from '../plan/plan.js';
import type { ObservedState } from '../plan/observed.js';
import { serviceConfigHash } from '../plan/config-hash.js';
import { buildDependencyGraph } from '../graph/dependency-graph.js';
import { summarize } from './summary.js';

export type Emit = (message: StreamMessage) => void;

function progress(emit: Emit, id: string, status: ProgressEvent['status'], text: string, details?: string): void {
  emit({ type: 'progress', event: { id, status, text, ...(details ? { details } : {}), time: Date.now() } });
}

export interface EngineOptions {
  host: Host;
  storeRoot: string;
  netHost: NetworkHost;
  dns: { server: DnsServer; records: DnsRecords };
  log: (message: string) => void;
  /** The settings in force (engine.json and its overrides); read per operation, so a reload reaches the next one. */
  settings: () => EngineSettings;
}

export class Engine {
  readonly store: EngineStore;
  readonly networking: ProjectNetworking;
  readonly lifecycle: ContainerLifecycle;
  readonly supervisor: Supervisor;
  readonly bus = new EventEmitter();
  private readonly host: Host;
  /** One operation at a time per project: two `up`s must not race on the same containers. */
  private readonly projectLocks = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: EngineOptions) {
    this.host = opts.host;
    this.bus.setMaxListeners(0);
    this.store = new EngineStore(opts.storeRoot);
    this.networking = new ProjectNetworking(this.store, opts.netHost, opts.dns, opts.settings);
    const events = { emit: (e: { type: string; container: ContainerRecord; attributes?: Record<string, string> }) => this.publish(e.type, e.container, e.attributes) };
    this.lifecycle = new ContainerLifecycle(this.host, this.store, this.networking, opts.netHost, events, () => opts.settings().logDefaults);
    this.supervisor = new Supervisor(this.store, this.lifecycle, events, opts.log);
  }

  private publish(type: string, c: ContainerRecord, attributes: Record<string, string> = {}): void {
    const event: EngineEvent = { time: new Date().toISOString(), type, id: c.id, name: c.name, project: c.project, service: c.service, attributes: { image: c.image, ...attributes } };
    this.bus.emit('event', event);
  }

  private async locked<T>(project: string, work: () => Promise<T>): Promise<T> {
    const previous = this.projectLocks.get(project) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.projectLocks.set(project, next);
    try {
      return await next;
    } finally {
      if (this.projectLocks.get(project) === next) this.projectLocks.delete(project);
    }
  }

  /**
   * Comes back to what a previous engine left: running containers are watched
   * again (nothing is started twice); containers that exited while no engine
   * was there get their restart policy; after a reboot (no runtime state at
   * all) `always` and `unless-stopped` ones come back.
   */
  async adopt(): Promise<void> {
    for (const network of this.store.networks.list()) {
      const inUse = this.store.containers.list().some((c) => c.networks.some((n) => n.network === network.name));
      if (inUse) await this.networking.bringUp(network).catch((err: unknown) => this.opts.log(`network ${network.name}: ${(err as Error).message}`));
    }
    for (const record of this.store.containers.list()) {
      try {
        await this.adoptContainer(record);
      } catch (err) {
        this.opts.log(`adopting ${record.name}: ${(err as Error).message}`);
      }
    }
  }

  private async adoptContainer(record: ContainerRecord): Promise<void> {
    const runtime = this.host.runtime;
    if (!runtime.readConfig(record.id)) {
      // The runtime lost it (removed by hand): forget it, give back its addresses.
      this.networking.release(record.id, record.networks);
      this.store.containers.delete(record.id);
      return;
    }
    if (runtime.isRunning(record.id)) {
      record.ports = await this.lifecycle.publishPorts(record);
      this.store.containers.put(record.id, record);
      this.networking.publishDns(record.id, record.networks);
      this.supervisor.track(record);
      return;
    }
    const state = runtime.state(record.id);
    const status = await runtime.exitStatus(record.id);
    if (record.startedAt && !record.finishedAt) {
      // It was running when the previous engine went away.
      const rebooted = state === undefined;
      const updated = this.store.updateContainer(record.id, (r) => {
        r.exitCode = status?.exitCode ?? (rebooted ? 0 : 255);
        r.finishedAt = status?.finishedAt ?? new Date().toISOString();
      });
      if (updated) this.supervisor.considerRestart(updated, rebooted ? 'engine-boot' : 'exit');
    } else if (record.restartAt) {
      this.supervisor.considerRestart(record, 'exit');
    }
  }

  // ---- observing ---------------------------------------------------------

  containerState(record: ContainerRecord): ObservedState['containers'][number]['state'] {
    if (this.host.runtime.isRunning(record.id)) return record.paused ? 'paused' : 'running';
    if (this.supervisor.isRestarting(record.id) || record.restartAt) return 'restarting';
    return record.startedAt ? 'exited' : 'created';
  }

  observe(projectName: string, project?: Project): ObservedState {
    const containers = this.store.containersOf(projectName).map((c) => ({
      id: c.id,
      name: c.name,
      service: c.service,
      number: c.number,
      oneOff: c.oneOff,
      configHash: c.configHash,
      imageId: c.imageId,
      state: this.containerState(c),
      ...(c.health ? { health: c.health.status } : {}),
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      networks: c.networks.map((n) => n.network),
    }));
    const networks = this.store.networksOf(projectName).map((n) => ({ name: n.name, configHash: n.configHash, external: n.external }));
    const volumes: ObservedState['volumes'] = this.host.volumes
      .list()
      .filter((v) => v.labels['com.docker.compose.project'] === projectName)
      .map((v) => ({ name: v.name }));
    // External resources the file names and that exist count as observed (they are never created here).
    for (const n of Object.values(project?.networks ?? {})) {
      if (n.external && this.store.networks.get(n.name) && !networks.some((x) => x.name === n.name)) networks.push({ name: n.name, configHash: '', external: true });
    }
    for (const v of Object.values(project?.volumes ?? {})) {
      if (v.external && this.host.volumes.get(v.name) && !volumes.some((x) => x.name === v.name)) volumes.push({ name: v.name, external: true });
    }
    return { containers, networks, volumes };
  }

  // ---- up ------------------------------------------------------------------

  async up(ref: ProjectRef, options: UpOptions, emit: Emit): Promise<{ plan: string }> {
    return this.locked(ref.project.name, () => this.upLocked(ref, options, emit));
  }

  private async upLocked(ref: ProjectRef, options: UpOptions, emit: Emit): Promise<{ plan: string }> {
    const project = ref.project;
    this.store.projects.put(project.name, { name: project.name, workingDir: ref.workingDir, configFiles: ref.configFiles, project, updatedAt: new Date().toISOString() });
    const graph = buildDependencyGraph(project);
    const selected = options.services.length > 0 ? options.services : Object.keys(project.services);
    const wanted = options.noDeps ? selected : graph.withDependencies(selected).filter((s) => project.services[s] !== undefined);
    const images = await this.resolveImages(project, wanted, options.pull, emit);
    const imageIds: Record<string, string> = {};
    for (const [name, image] of images) imageIds[name] = image.id;
    const desired = desiredFromProject(project, { selected, noDeps: options.noDeps === true, scale: options.scale ?? {}, imageIds, disabledServices: ref.disabledServices ?? [] });
    const observed = this.observe(project.name, project);
    const plan = reconcile(desired, observed, {
      recreate: options.forceRecreate ? 'force' : options.noRecreate ? 'never' : 'diverged',
      removeOrphans: options.removeOrphans === true,
      ...(options.timeoutS !== undefined ? { timeoutS: options.timeoutS } : {}),
    });
    const text = plan.toString();
    if (options.dryRun) {
      emit({ type: 'plan', text });
      return { plan: text };
    }
    const orphans = (plan as Plan & { orphans?: Array<{ name: string }> }).orphans ?? [];
    if (orphans.length > 0 && !options.removeOrphans) {
      emit({ type: 'warning', message: `Found orphan containers (${orphans.map((o) => o.name).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.` });
    }
    const timeline = new Map<string, TimelineEntry>();
    await this.execute(project, desired, plan, images, { ...options, timeline }, emit);
    if (options.wait && !options.noStart) await this.waitReady(project.name, desired, options.waitTimeoutS, emit, timeline);
    emit({ type: 'timeline', entries: [...timeline.values()] });
    return { plan: text };
  }

  private async resolveImages(project: Project, services: string[], pull: string | undefined, emit: Emit): Promise<Map<string, ResolvedImage & { id: string }>> {
    const out = new Map<string, ResolvedImage & { id: string }>();
    // One image at a time: images sharing layers (a common base) must not download the same blob twice at once.
    const byReference = new Map<string, ResolvedImage>();
    for (const name of services) {
      const service = project.services[name];
      if (!service) continue;
      const reference = service.image ?? '';
      let image = byReference.get(reference);
      if (!image) {
        const stderr = lineSink((line) => progress(emit, `Image ${reference}`, 'working', line.replace(/\.\.\.$/, '')));
        image = await resolveServiceImage(this.host, name, service, pull, { stderr }, this.opts.settings());
        byReference.set(reference, image);
      }
      const id = this.host.images.find(image.reference)?.configDigest ?? image.reference;
      out.set(name, { ...image, id });
    }
    return out;
  }

  /** Runs the plan: every operation once its dependencies are done, independent ones in parallel. */
  private async execute(
    project: Project,
    desired: DesiredState,
    plan: Plan,
    images: Map<string, ResolvedImage & { id: string }>,
    options: UpOptions & { timeline: Map<string, TimelineEntry> },
    emit: Emit,
  ): Promise<void> {
    const done = new Map<number, Promise<void>>();
    const created = new Map<string, string>();
    const byId = new Map(plan.operations.map((op) => [op.id, op]));
    const run = (op: Operation): Promise<void> => {
      let p = done.get(op.id);
      if (!p) {
        p = (async () => {
          await Promise.all(op.dependsOn.map((d) => run(byId.get(d) as Operation)));
          await this.apply(project, desired, op, images, created, options, emit);
        })();
        done.set(op.id, p);
      }
      return p;
    };
    const results = await Promise.allSettled(plan.operations.map((op) => run(op)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  private timelineOf(options: { timeline: Map<string, TimelineEntry> }, service: string): TimelineEntry {
    let entry = options.timeline.get(service);
    if (!entry) {
      entry = { name: service };
      options.timeline.set(service, entry);
    }
    return entry;
  }

  private async apply(
    project: Project,
    desired: DesiredState,
    op: Operation,
    images: Map<string, ResolvedImage & { id: string }>,
    created: Map<string, string>,
    options: UpOptions & { timeline: Map<string, TimelineEntry> },
    emit: Emit,
  ): Promise<void> {
    const containerId = (): string => {
      const id = op.containerId ?? created.get(op.resource);
      if (!id) throw new TscComposeError('TSC_PLAN', `plan: no container for ${op.resource}`);
      return id;
    };
    const label = (): string => `Container ${op.containerName ?? this.store.containers.get(containerId())?.name ?? op.resource}`;
    switch (op.type) {
      case 'CreateNetwork':
      case 'RecreateNetwork': {
        const key = Object.entries(project.networks).find(([, n]) => `network:${n.name}` === op.resource)?.[0];
        if (!key) return;
        const name = project.networks[key]?.name ?? key;
        if (op.type === 'RecreateNetwork') await this.networking.removeNetwork(name);
        progress(emit, `Network ${name}`, 'working', 'Creating');
        await this.networking.ensureNetwork(project, key);
        progress(emit, `Network ${name}`, 'done', 'Created');
        return;
      }
      case 'RemoveNetwork': {
        const name = op.resource.replace(/^network:/, '');
        progress(emit, `Network ${name}`, 'working', 'Removing');
        await this.networking.removeNetwork(name);
        progress(emit, `Network ${name}`, 'done', 'Removed');
        return;
      }
      case 'CreateVolume': {
        const name = op.resource.replace(/^volume:/, '');
        const key = Object.entries(project.volumes).find(([, v]) => v.name === name)?.[0];
        const declared = key ? project.volumes[key] : undefined;
        if (declared?.external) {
          if (!this.host.volumes.get(name)) throw new TscComposeError('TSC_VOLUME_EXTERNAL', `external volume "${name}" not found`);
          return;
        }
        if (this.host.volumes.get(name)) return;
        progress(emit, `Volume ${name}`, 'working', 'Creating');
        this.host.volumes.ensure(name, { labels: { ...(declared?.labels ?? {}), 'com.docker.compose.project': project.name, 'com.docker.compose.volume': key ?? name } });
        progress(emit, `Volume ${name}`, 'done', 'Created');
        return;
      }
      case 'CreateContainer': {
        const service = op.service as string;
        const image = images.get(service);
        if (!image) throw new TscComposeError('TSC_PLAN', `plan: no image for ${service}`);
        const want = desired.services.find((s) => s.name === service);
        const name = op.containerName ?? `${project.name}-${service}-${op.number}`;
        progress(emit, `Container ${name}`, 'working', 'Creating');
        const record = await this.lifecycle.create({ project, serviceName: service, number: op.number ?? 1, image, imageId: image.id, configHash: want?.configHash ?? serviceConfigHash(project.services[service] as never) });
        created.set(op.resource, record.id);
        this.timelineOf(options, service).createdAt ??= Date.now();
        progress(emit, `Container ${name}`, 'done', 'Created');
        return;
      }
      case 'StartContainer': {
        if (options.noStart) return;
        const id = containerId();
        progress(emit, label(), 'working', 'Starting');
        const { record, warnings } = await this.lifecycle.start(id);
        for (const w of warnings) emit({ type: 'warning', message: `${record.name}: ${w}` });
        this.store.updateContainer(id, (r) => {
          r.stoppedByUser = false;
        });
        this.supervisor.track(record);
        this.timelineOf(options, record.service).startedAt ??= Date.now();
        progress(emit, label(), 'done', 'Started');
        return;
      }
      case 'StopContainer': {
        const id = containerId();
        progress(emit, label(), 'working', 'Stopping');
        this.supervisor.expectExit(id);
        await this.lifecycle.stop(id, { byUser: false, timeoutMs: options.timeoutS !== undefined ? options.timeoutS * 1000 : undefined });
        progress(emit, label(), 'done', 'Stopped');
        return;
      }
      case 'RemoveContainer': {
        const id = containerId();
        const name = label();
        progress(emit, name, 'working', 'Removing');
        this.supervisor.expectExit(id);
        this.supervisor.untrack(id);
        await this.lifecycle.stop(id, { byUser: false, timeoutMs: options.timeoutS !== undefined ? options.timeoutS * 1000 : undefined });
        await this.lifecycle.remove(id);
        this.supervisor.clearExpected(id);
        progress(emit, name, 'done', 'Removed');
        return;
      }
      case 'RestartContainer': {
        if (options.noStart) return;
        const id = containerId();
        progress(emit, label(), 'working', 'Restarting');
        this.supervisor.expectExit(id);
        await this.lifecycle.stop(id, { byUser: false });
        this.supervisor.untrack(id);
        this.supervisor.clearExpected(id);
        const { record } = await this.lifecycle.start(id);
        this.supervisor.track(record);
        progress(emit, label(), 'done', 'Restarted');
        return;
      }
      case 'WaitDependency': {
        if (options.noStart) return;
        const cond = (op as Operation & { condition?: { service: string; condition: string; required: boolean } }).condition;
        if (!cond) return;
        const waiter = op.service;
        if (waiter) {
          const entry = this.timelineOf(options, waiter);
          entry.waitedFor = [...new Set([...(entry.waitedFor ?? []), cond.service])];
        }
        await this.waitForCondition(project.name, cond.service, cond.condition, cond.required, emit, options.timeline);
        return;
      }
      default:
        return;
    }
  }

  private containersOfService(projectName: string, service: string): ContainerRecord[] {
    return this.store.containersOf(projectName).filter((c) => c.service === service && !c.oneOff);
  }

  /** depends_on conditions, as docker compose checks them. */
  async waitForCondition(projectName: string, service: string, condition: string, required: boolean, emit: Emit, timeline?: Map<string, TimelineEntry>): Promise<void> {
    const containers = this.containersOfService(projectName, service);
    if (containers.length === 0) {
      if (!required) return;
      throw new TscComposeError('TSC_DEPENDENCY_FAILED', `dependency ${service} has no container`, { service });
    }
    for (const c of containers) {
      const id = `Container ${c.name}`;
      if (condition === 'service_started') continue;
      progress(emit, id, 'working', 'Waiting');
      for (;;) {
        const record = this.store.containers.get(c.id);
        if (!record) throw new TscComposeError('TSC_DEPENDENCY_FAILED', `dependency failed to start: container ${c.name} was removed`, { service });
        const running = this.host.runtime.isRunning(c.id);
        const restarting = this.supervisor.isRestarting(c.id);
        if (condition === 'service_healthy') {
          if (!record.healthcheck) {
            if (!required) break;
            throw new TscComposeError('TSC_DEPENDENCY_FAILED', `dependency failed to start: container ${c.name} has no healthcheck configured`, { service });
          }
          if (record.health?.status === 'healthy' && running) {
            progress(emit, id, 'done', 'Healthy');
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
              progress(emit, id, 'done', 'Exited');
              break;
            }
            throw new TscComposeError('TSC_DEPENDENCY_FAILED', `service "${service}" didn't complete successfully: exit ${record.exitCode}`, { service });
          }
        }
        await sleep(25);
      }
    }
  }

  /** `up --wait`: every selected container running (and healthy when it has a health check). */
  private async waitReady(projectName: string, desired: DesiredState, timeoutS: number | undefined, emit: Emit, timeline: Map<string, TimelineEntry>): Promise<void> {
    const deadline = timeoutS !== undefined && timeoutS > 0 ? Date.now() + timeoutS * 1000 : Infinity;
    const completionDeps = new Set<string>();
    for (const s of desired.services) for (const [dep, d] of Object.entries(s.dependsOn)) if (d.condition === 'service_completed_successfully') completionDeps.add(dep);
    for (const s of desired.services) {
      for (const c of this.containersOfService(projectName, s.name)) {
        for (;;) {
          const record = this.store.containers.get(c.id);
          if (!record) break;
          const running = this.host.runtime.isRunning(c.id);
          if (running && (!record.healthcheck || record.health?.status === 'healthy')) {
            if (record.healthcheck) {
              progress(emit, `Container ${c.name}`, 'done', 'Healthy');
              const entry = timeline.get(s.name) ?? { name: s.name };
              entry.healthyAt ??= Date.now();
              timeline.set(s.name, entry);
            }
            break;
          }
          if (!running && record.finishedAt && !this.supervisor.isRestarting(c.id)) {
            if (completionDeps.has(s.name) && record.exitCode === 0) break;
            throw new TscComposeError('TSC_WAIT_FAILED', `container ${c.name} exited (${record.exitCode})`, { service: s.name });
          }
          if (record.health?.status === 'unhealthy') throw new TscComposeError('TSC_WAIT_FAILED', `container ${c.name} is unhealthy`, { service: s.name });
          if (Date.now() > deadline) throw new TscComposeError('TSC_WAIT_TIMEOUT', `timeout waiting for ${c.name} to be ${record.healthcheck ? 'healthy' : 'running'}`, { service: s.name });
          await sleep(25);
        }
      }
    }
  }

  // ---- run -----------------------------------------------------------------

  /**
   * `run`: a one-off container of a service, its dependencies started first
   * (unless noDeps), on the service's networks. Started here when detached;
   * otherwise the CLI starts it attached to its terminal and hands it back
   * with adoptStarted.
   */
  async createOneOff(
    req: { ref: ProjectRef; service: string; overrides: RunOverrides; detach: boolean; pull?: string | undefined; noDeps?: boolean | undefined },
    emit: Emit,
  ): Promise<{ id: string; name: string }> {
    const project = req.ref.project;
    const graph = buildDependencyGraph(project);
    const deps = req.noDeps ? [] : graph.dependenciesOf(req.service, { transitive: true }).filter((d) => project.services[d] !== undefined);
    if (deps.length > 0) await this.up(req.ref, { services: deps, wait: false }, emit);
    return this.locked(project.name, async () => {
      if (!this.store.projects.get(project.name)) {
        this.store.projects.put(project.name, { name: project.name, workingDir: req.ref.workingDir, configFiles: req.ref.configFiles, project, updatedAt: new Date().toISOString() });
      }
      const service = project.services[req.service];
      if (!service) throw new TscComposeError('TSC_NO_SUCH_SERVICE', `no such service: ${req.service}`);
      for (const key of Object.keys(service.network_mode === undefined || service.network_mode === 'bridge' ? (service.networks ?? {}) : {})) await this.networking.ensureNetwork(project, key);
      for (const v of service.volumes ?? []) {
        if (v.type !== 'volume' || !v.source) continue;
        const declared = project.volumes[v.source];
        if (declared && !declared.external) this.host.volumes.ensure(declared.name, { labels: { ...(declared.labels ?? {}), 'com.docker.compose.project': project.name, 'com.docker.compose.volume': v.source } });
      }
      const images = await this.resolveImages(project, [req.service], req.pull, emit);
      const image = images.get(req.service) as ResolvedImage & { id: string };
      const number = 1 + Math.max(0, ...this.store.containersOf(project.name).filter((c) => c.oneOff && c.service === req.service).map((c) => c.number));
      const record = await this.lifecycle.create({ project, serviceName: req.service, number, image, imageId: image.id, configHash: serviceConfigHash(service as never), oneOff: true, overrides: req.overrides });
      if (req.detach) {
        const { record: started } = await this.lifecycle.start(record.id);
        this.supervisor.track(started);
      }
      return { id: record.id, name: record.name };
    });
  }

  /** A container the CLI started itself (attached `run`): from now on the engine watches it. */
  adoptStarted(id: string): void {
    const record = this.store.updateContainer(id, (r) => {
      r.startedAt = new Date().toISOString();
      r.finishedAt = undefined;
      r.exitCode = undefined;
    });
    if (!record) return;
    this.networking.publishDns(id, record.networks);
    this.supervisor.track(record);
    this.publish('start', record);
  }

  // ---- down ----------------------------------------------------------------

  async down(projectName: string, ref: ProjectRef | undefined, options: DownOptions, emit: Emit): Promise<void> {
    return this.locked(projectName, async () => {
      const project = ref?.project ?? this.store.projects.get(projectName)?.project;
      const observed = this.observe(projectName);
      const dependsOn = project ? Object.fromEntries(Object.entries(project.services).map(([n, s]) => [n, Object.keys(s.depends_on ?? {})])) : undefined;
      const plan = planDown(projectName, observed, { volumes: options.volumes === true, removeOrphans: options.removeOrphans === true, dependsOn });
      const timeline = new Map<string, TimelineEntry>();
      const empty: DesiredState = { project: projectName, services: [], networks: [], volumes: [] };
      const effective = project ?? ({ name: projectName, services: {}, networks: {}, volumes: {}, secrets: {}, configs: {} } as Project);
      await this.execute(effective, empty, plan, new Map(), { services: [], timeline, timeoutS: options.timeoutS }, emit);
      // One-off (`run`) containers go too, as with docker compose.
      for (const c of this.store.containersOf(projectName)) {
        if (!c.oneOff && !options.removeOrphans && project && project.services[c.service] === undefined) continue;
        progress(emit, `Container ${c.name}`, 'working', 'Removing');
        this.supervisor.expectExit(c.id);
        this.supervisor.untrack(c.id);
        await this.lifecycle.stop(c.id, { byUser: false, timeoutMs: options.timeoutS !== undefined ? options.timeoutS * 1000 : undefined });
        await this.lifecycle.remove(c.id, { volumes: options.volumes === true });
        this.supervisor.clearExpected(c.id);
        progress(emit, `Container ${c.name}`, 'done', 'Removed');
      }
      // Networks of the project that the plan did not know (records left by an interrupted run).
      for (const n of this.store.networksOf(projectName)) {
        if (this.store.containers.list().some((c) => c.networks.some((a) => a.network === n.name))) continue;
        progress(emit, `Network ${n.name}`, 'working', 'Removing');
        await this.networking.removeNetwork(n.name);
        progress(emit, `Network ${n.name}`, 'done', 'Removed');
      }
      if (options.volumes) {
        for (const v of this.host.volumes.list()) {
          if (v.labels['com.docker.compose.project'] !== projectName) continue;
          const key = v.labels['com.docker.compose.volume'];
          if (key && project?.volumes[key]?.external) continue;
          progress(emit, `Volume ${v.name}`, 'working', 'Removing');
          this.host.volumes.remove(v.name);
          progress(emit, `Volume ${v.name}`, 'done', 'Removed');
        }
      }
      if (options.rmi && project) {
        for (const [, svc] of Object.entries(project.services)) {
          if (!svc.image || (options.rmi === 'local' && !svc.build)) continue;
          if (this.store.containers.list().some((c) => c.image === svc.image)) continue;
          try {
            this.host.images.remove(svc.image);
            progress(emit, `Image ${svc.image}`, 'done', 'Removed');
          } catch {
            // not there or still used
          }
        }
      }
      if (this.store.containersOf(projectName).length === 0) this.store.projects.delete(projectName);
    });
  }

  // ---- commands on existing containers ----------------------------------

  private selectContainers(projectName: string, services: string[], oneOff = false): ContainerRecord[] {
    return this.store
      .containersOf(projectName)
      .filter((c) => (services.length === 0 || services.includes(c.service) || services.includes(c.name)) && (oneOff || !c.oneOff || services.includes(c.name)))
      .sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number);
  }

  private order(projectName: string, project: Project | undefined, services: string[], reverse: boolean): string[][] {
    const p = project ?? this.store.projects.get(projectName)?.project;
    const names = [...new Set(this.store.containersOf(projectName).map((c) => c.service))];
    if (!p) return [names];
    const graph = buildDependencyGraph({ services: Object.fromEntries(names.map((n) => [n, p.services[n] ?? {}])) });
    const subset = services.length > 0 ? services.filter((s) => names.includes(s)) : names;
    return reverse ? graph.stopOrder(subset) : graph.startLevels(subset);
  }

  async action(req: ActionRequest, emit: Emit): Promise<void> {
    // A kill is only signals: it must not queue behind a stop that is waiting out a grace period
    // (the second Ctrl-C of an attached `up`, or `kill` while `stop -t 60` runs).
    const lock = req.action === 'kill' ? <T>(_p: string, work: () => Promise<T>): Promise<T> => work() : this.locked.bind(this);
    return lock(req.projectName, async () => {
      const timeoutMs = req.timeoutS !== undefined ? req.timeoutS * 1000 : undefined;
      const forEachLevel = async (reverse: boolean, work: (c: ContainerRecord) => Promise<void>): Promise<void> => {
        for (const level of this.order(req.projectName, req.project, req.services, reverse)) {
          await Promise.all(this.selectContainers(req.projectName, level, req.oneOff).map(work));
        }
      };
      const stopOne = async (c: ContainerRecord, byUser: boolean): Promise<void> => {
        const label = `Container ${c.name}`;
        progress(emit, label, 'working', 'Stopping');
        this.supervisor.cancelRestart(c.id);
        this.supervisor.expectExit(c.id);
        await this.lifecycle.stop(c.id, { byUser, timeoutMs });
        progress(emit, label, 'done', 'Stopped');
      };
      const startOne = async (c: ContainerRecord): Promise<void> => {
        const label = `Container ${c.name}`;
        progress(emit, label, 'working', 'Starting');
        this.store.updateContainer(c.id, (r) => {
          r.stoppedByUser = false;
        });
        this.supervisor.clearExpected(c.id);
        const { record } = await this.lifecycle.start(c.id);
        this.supervisor.track(record);
        progress(emit, label, 'done', 'Started');
        if (record.healthcheck) {
          const project = req.project ?? this.store.projects.get(req.projectName)?.project;
          const dependents = project ? Object.values(project.services).some((s) => s.depends_on?.[c.service]?.condition === 'service_healthy') : false;
          if (dependents) await this.waitForCondition(req.projectName, c.service, 'service_healthy', true, emit);
        }
      };
      switch (req.action) {
        case 'stop':
          await forEachLevel(true, (c) => stopOne(c, true));
          return;
        case 'start':
          await forEachLevel(false, startOne);
          return;
        case 'restart':
          await forEachLevel(true, (c) => stopOne(c, false));
          await forEachLevel(false, startOne);
          return;
        case 'kill': {
          const signal = req.signal ?? 'SIGKILL';
          const sig = signal.startsWith('SIG') ? signal : `SIG${signal}`;
          for (const c of this.selectContainers(req.projectName, req.services, req.oneOff)) {
            if (!this.host.runtime.isRunning(c.id)) continue;
            this.store.updateContainer(c.id, (r) => {
              r.stoppedByUser = true;
            });
            this.supervisor.expectExit(c.id);
            await this.host.runtime.kill(c.id, sig);
            progress(emit, `Container ${c.name}`, 'done', 'Killed');
          }
          return;
        }
        case 'pause':
          for (const c of this.selectContainers(req.projectName, req.services)) {
            await this.lifecycle.pause(c.id);
            progress(emit, `Container ${c.name}`, 'done', 'Paused');
          }
          return;
        case 'unpause':
          for (const c of this.selectContainers(req.projectName, req.services)) {
            await this.lifecycle.unpause(c.id);
            progress(emit, `Container ${c.name}`, 'done', 'Unpaused');
          }
          return;
        case 'rm': {
          for (const c of this.selectContainers(req.projectName, req.services, true)) {
            const running = this.host.runtime.isRunning(c.id);
            // As docker compose: -f only skips the confirmation; running containers need -s.
            if (running && !req.stopFirst) continue;
            if (running) await stopOne(c, true);
            progress(emit, `Container ${c.name}`, 'working', 'Removing');
            this.supervisor.untrack(c.id);
            this.supervisor.cancelRestart(c.id);
            await this.lifecycle.remove(c.id, { volumes: req.volumes === true });
            progress(emit, `Container ${c.name}`, 'done', 'Removed');
          }
          return;
        }
      }
    });
  }

  // ---- queries -------------------------------------------------------------

  ps(projectName: string | undefined, all: boolean): ContainerSummary[] {
    const records = projectName ? this.store.containersOf(projectName) : this.store.containers.list();
    return records
      .map((r) => summarize(r, this.containerState(r), this.host.runtime))
      .filter((s) => all || s.State === 'running' || s.State === 'restarting' || s.State === 'paused')
      .sort((a, b) => a.Name.localeCompare(b.Name));
  }

  projects(all: boolean): ProjectSummary[] {
    const names = new Set([...this.store.projects.list().map((p) => p.name), ...this.store.containers.list().map((c) => c.project)]);
    const out: ProjectSummary[] = [];
    for (const name of [...names].sort()) {
      const counts = new Map<string, number>();
      for (const c of this.store.containersOf(name)) {
        const state = this.containerState(c);
        counts.set(state, (counts.get(state) ?? 0) + 1);
      }
      if (!all && !counts.has('running')) continue;
      const status = [...counts.entries()].map(([s, n]) => `${s}(${n})`).join(', ');
      out.push({ Name: name, Status: status, ConfigFiles: (this.store.projects.get(name)?.configFiles ?? []).join(',') });
    }
    return out;
  }

  /** Networks with the containers on them (`network ls|inspect`). */
  networks(): Array<{ Name: string; Id: string; Driver: string; Scope: string; Internal: boolean; Labels: Record<string, string>; Created: string; IPAM: { Subnet: string; Gateway: string }; Bridge: string; Containers: Record<string, { Name: string; IPv4Address: string }> }> {
    const containers = this.store.containers.list();
    return this.store.networks.list().map((n) => ({
      Name: n.name,
      Id: n.bridge,
      Driver: 'bridge',
      Scope: 'local',
      Internal: n.internal,
      Labels: n.labels,
      Created: n.createdAt,
      IPAM: { Subnet: n.ipam.subnet, Gateway: n.ipam.gateway },
      Bridge: n.bridge,
      Containers: Object.fromEntries(
        containers.flatMap((c) => c.networks.filter((a) => a.network === n.name).map((a) => [c.id, { Name: c.name, IPv4Address: `${a.address}/${a.prefix}` }])),
      ),
    }));
  }

  /** Removes the networks no container uses. */
  async pruneNetworks(): Promise<string[]> {
    const used = new Set(this.store.containers.list().flatMap((c) => c.networks.map((a) => a.network)));
    const removed: string[] = [];
    for (const n of this.store.networks.list()) {
      if (used.has(n.name)) continue;
      await this.networking.removeNetwork(n.name);
      removed.push(n.name);
    }
    return removed;
  }

  findContainer(projectName: string, service: string, index: number | undefined): ContainerRecord {
    const candidates = this.containersOfService(projectName, service).filter((c) => this.host.runtime.isRunning(c.id));
    const chosen = index !== undefined ? candidates.find((c) => c.number === index) : candidates.sort((a, b) => a.number - b.number)[0];
    if (!chosen) throw new TscComposeError('TSC_NOT_RUNNING', `service "${service}" is not running`, { service });
    return chosen;
  }

  close(): void {
    this.supervisor.close();
  }
}

/** A writable that hands over whole lines (turns a writer-based progress report into events). */
function lineSink(onLine: (line: string) => void): Writable {
  let buffer = '';
  return new Writable({
    write(chunk: Buffer, _encoding, callback): void {
      buffer += chunk.toString('utf8');
      let i: number;
      while ((i = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, i).trim();
        buffer = buffer.slice(i + 1);
        if (line) onLine(line);
      }
      callback();
    },
  });
}
