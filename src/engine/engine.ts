/**
 * The engine: one per host, long-lived. It owns the desired state (the
 * projects the CLI handed it) and the actual state (its records plus what the
 * runtime observes), turns their difference into a plan (src/plan, pure) and
 * has the executor carry it out; it supervises every container it started.
 * Core code: it reports through `emit` and never prints.
 */
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
import { SupervisedContainers } from './supervised-containers.js';
import { ServiceConditions } from './conditions.js';
import { executePlan } from './executor.js';
import { EngineExecutorHost } from './executor-host.js';
import type { PlanScope } from './executor-host.js';
import { resolveServiceImage } from './images.js';
import type { ResolvedImage } from './images.js';
import type { RunOverrides } from './service-container.js';
import type { Emit } from './progress.js';
import { report } from './progress.js';
import { killed, paused, progressEvent, removed, removing, started, starting, stopped, stopping, unpaused } from '../events/progress.js';
import type { NetworkHost } from '../network/host/index.js';
import type { DnsRecords } from '../network/dns/records.js';
import type { DnsServer } from '../network/dns/server.js';
import type { EngineSettings } from './config/settings.js';
import type { ActionRequest, ContainerSummary, DownOptions, EngineEvent, ProjectRef, ProjectSummary, UpOptions } from './api/protocol.js';
import type { TimelineEntry } from '../events/timeline.js';
import { desiredFromProject } from '../plan/desired.js';
import { planDown, reconcile } from '../plan/plan.js';
import type { ImageRemoval, Plan } from '../plan/plan.js';
import type { ObservedImage, ObservedState } from '../plan/observed.js';
import { serviceConfigHash } from '../plan/config-hash.js';
import { buildDependencyGraph } from '../graph/dependency-graph.js';
import { summarize } from './summary.js';

export type { Emit } from './progress.js';

export interface EngineOptions {
  host: Host;
  storeRoot: string;
  netHost: NetworkHost;
  dns: { server: DnsServer; records: DnsRecords };
  log: (message: string) => void;
  /** The settings in force (engine.json and its overrides); read per operation, so a reload reaches the next one. */
  settings: () => EngineSettings;
}

type Images = Map<string, ResolvedImage & { id: string }>;

export class Engine {
  readonly store: EngineStore;
  readonly networking: ProjectNetworking;
  readonly lifecycle: ContainerLifecycle;
  readonly bus = new EventEmitter();
  private readonly supervisor: Supervisor;
  private readonly containers: SupervisedContainers;
  private readonly conditions: ServiceConditions;
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
    this.containers = new SupervisedContainers(this.store, this.lifecycle, this.supervisor);
    this.conditions = new ServiceConditions(this.store, { isRunning: (id) => this.host.runtime.isRunning(id), isRestarting: (id) => this.supervisor.isRestarting(id) });
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
      this.containers.watch(record);
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
    const all = this.store.containers.list();
    const containers = all
      .filter((c) => c.project === projectName)
      .map((c) => ({
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
    const networks: ObservedState['networks'] = this.store.networksOf(projectName).map((n) => {
      const usedBy = all.filter((c) => c.project !== projectName && c.networks.some((a) => a.network === n.name)).map((c) => c.name);
      return { name: n.name, configHash: n.configHash, external: n.external, ...(usedBy.length > 0 ? { usedBy } : {}) };
    });
    const declaredExternal = new Set(Object.values(project?.volumes ?? {}).filter((v) => v.external).map((v) => v.name));
    const volumes: ObservedState['volumes'] = this.host.volumes
      .list()
      .filter((v) => v.labels['com.docker.compose.project'] === projectName)
      .map((v) => (declaredExternal.has(v.name) ? { name: v.name, external: true } : { name: v.name }));
    // External resources the file names and that exist count as observed (they are never created here).
    for (const n of Object.values(project?.networks ?? {})) {
      if (n.external && this.store.networks.get(n.name) && !networks.some((x) => x.name === n.name)) networks.push({ name: n.name, configHash: '', external: true });
    }
    for (const name of declaredExternal) {
      if (this.host.volumes.get(name) && !volumes.some((x) => x.name === name)) volumes.push({ name, external: true });
    }
    return { containers, networks, volumes };
  }

  /** The local images among `references`, with the containers of other projects that run them. */
  private observeImages(projectName: string, references: string[]): ObservedImage[] {
    const out: ObservedImage[] = [];
    for (const reference of new Set(references)) {
      const image = this.host.images.find(reference);
      if (!image) continue;
      const usedBy = this.store.containers
        .list()
        .filter((c) => c.project !== projectName && c.imageId === image.configDigest)
        .map((c) => c.name);
      out.push({ reference, id: image.configDigest, usedBy });
    }
    return out;
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
      noStart: options.noStart === true,
      ...(options.timeoutS !== undefined ? { timeoutS: options.timeoutS } : {}),
    });
    const text = plan.toString();
    if (options.dryRun) {
      emit({ type: 'plan', text });
      return { plan: text };
    }
    if (plan.orphans.length > 0 && !options.removeOrphans) {
      emit({ type: 'warning', message: `Found orphan containers (${plan.orphans.map((o) => o.name).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.` });
    }
    const timeline = new Map<string, TimelineEntry>();
    await this.execute(plan, { projectName: project.name, project, desired, images, timeline, emit });
    if (options.wait && !options.noStart) await this.conditions.waitReady(project.name, desired, options.waitTimeoutS, emit, timeline);
    emit({ type: 'timeline', entries: [...timeline.values()] });
    return { plan: text };
  }

  private async resolveImages(project: Project, services: string[], pull: string | undefined, emit: Emit): Promise<Images> {
    const out: Images = new Map();
    // One image at a time: images sharing layers (a common base) must not download the same blob twice at once.
    const byReference = new Map<string, ResolvedImage>();
    for (const name of services) {
      const service = project.services[name];
      if (!service) continue;
      const reference = service.image ?? '';
      let image = byReference.get(reference);
      if (!image) {
        const stderr = lineSink((line) => report(emit, progressEvent(`Image ${reference}`, 'working', line.replace(/\.\.\.$/, ''))));
        image = await resolveServiceImage(this.host, name, service, pull, { stderr }, this.opts.settings());
        byReference.set(reference, image);
      }
      const id = this.host.images.find(image.reference)?.configDigest ?? image.reference;
      out.set(name, { ...image, id });
    }
    return out;
  }

  /** Runs the plan with this machine as the executor's host; what the plan leaves alone is reported first. */
  private async execute(plan: Plan, scope: PlanScope): Promise<void> {
    for (const message of plan.warnings) scope.emit({ type: 'warning', message });
    const parts = { host: this.host, networking: this.networking, containers: this.containers, conditions: this.conditions };
    await executePlan(plan, new EngineExecutorHost(parts, scope));
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
      const image = images.get(req.service);
      if (!image) throw new TscComposeError('TSC_INTERNAL', `no image resolved for service ${req.service}`, { service: req.service });
      const number = 1 + Math.max(0, ...this.store.containersOf(project.name).filter((c) => c.oneOff && c.service === req.service).map((c) => c.number));
      const record = await this.containers.create({ project, serviceName: req.service, number, image, imageId: image.id, configHash: serviceConfigHash(service), oneOff: true, overrides: req.overrides });
      if (req.detach) await this.containers.start(record.id);
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
    this.containers.watch(record);
    this.publish('start', record);
  }

  // ---- down ----------------------------------------------------------------

  /** One plan (containers, one-off ones too, networks, with -v volumes, with --rmi images), executed once. */
  async down(projectName: string, ref: ProjectRef | undefined, options: DownOptions, emit: Emit): Promise<void> {
    return this.locked(projectName, async () => {
      const project = ref?.project ?? this.store.projects.get(projectName)?.project;
      const observed = this.observe(projectName, project);
      const dependsOn = project ? Object.fromEntries(Object.entries(project.services).map(([n, s]) => [n, Object.keys(s.depends_on ?? {})])) : undefined;
      let removeImages: ImageRemoval | undefined;
      if (options.rmi) {
        // The file's images when there is one (`local` needs to know which it names itself); else what the containers ran.
        const images = project
          ? Object.entries(project.services).map(([name, s]) => (s.image ? { reference: s.image, customTag: true } : { reference: `${projectName}-${name}`, customTag: false }))
          : [...new Set(this.store.containersOf(projectName).map((c) => c.image))].map((reference) => ({ reference, customTag: true }));
        removeImages = { mode: options.rmi, images };
        observed.images = this.observeImages(projectName, images.map((i) => i.reference));
      }
      const plan = planDown(projectName, observed, { volumes: options.volumes === true, removeOrphans: options.removeOrphans === true, dependsOn, timeoutS: options.timeoutS, removeImages });
      await this.execute(plan, { projectName, project, images: new Map(), timeline: new Map(), emit });
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
        report(emit, stopping(label));
        await this.containers.stop(c.id, { byUser, timeoutMs });
        report(emit, stopped(label));
      };
      const startOne = async (c: ContainerRecord): Promise<void> => {
        const label = `Container ${c.name}`;
        report(emit, starting(label));
        const { record } = await this.containers.start(c.id);
        report(emit, started(label));
        if (record.healthcheck) {
          const project = req.project ?? this.store.projects.get(req.projectName)?.project;
          const dependents = project ? Object.values(project.services).some((s) => s.depends_on?.[c.service]?.condition === 'service_healthy') : false;
          if (dependents) await this.conditions.waitForCondition(req.projectName, c.service, 'service_healthy', true, emit);
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
            await this.containers.kill(c.id, sig);
            report(emit, killed(`Container ${c.name}`));
          }
          return;
        }
        case 'pause':
          for (const c of this.selectContainers(req.projectName, req.services)) {
            await this.lifecycle.pause(c.id);
            report(emit, paused(`Container ${c.name}`));
          }
          return;
        case 'unpause':
          for (const c of this.selectContainers(req.projectName, req.services)) {
            await this.lifecycle.unpause(c.id);
            report(emit, unpaused(`Container ${c.name}`));
          }
          return;
        case 'rm': {
          for (const c of this.selectContainers(req.projectName, req.services, true)) {
            const running = this.host.runtime.isRunning(c.id);
            // As docker compose: -f only skips the confirmation; running containers need -s.
            if (running && !req.stopFirst) continue;
            if (running) await stopOne(c, true);
            report(emit, removing(`Container ${c.name}`));
            await this.containers.remove(c.id, { volumes: req.volumes === true, timeoutMs });
            report(emit, removed(`Container ${c.name}`));
          }
          return;
        }
        default: {
          const unknown: never = req.action;
          throw new TscComposeError('TSC_API', `unknown container action ${String(unknown)}`);
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
    const candidates = this.store.containersOf(projectName).filter((c) => c.service === service && !c.oneOff && this.host.runtime.isRunning(c.id));
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
