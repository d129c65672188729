/**
 * The executor's host on this machine: each call of ExecutorHost made real
 * with the engine's parts (networking, the volume and image stores, the
 * supervised containers, the dependency waits), for one plan of one project.
 * It also keeps the startup timeline `up` reports.
 */
import { TscComposeError } from '../errors/index.js';
import type { Project } from '../compose/model.js';
import type { DesiredState } from '../plan/desired.js';
import type { WaitCondition } from '../plan/plan.js';
import type { TimelineEntry } from '../events/timeline.js';
import type { Host } from './host.js';
import type { ResolvedImage } from './images.js';
import type { ProjectNetworking } from './networking.js';
import type { SupervisedContainers } from './supervised-containers.js';
import type { ServiceConditions } from './conditions.js';
import type { ExecutorHost } from './executor.js';
import type { Emit } from './progress.js';

export interface EngineParts {
  host: Host;
  networking: ProjectNetworking;
  containers: SupervisedContainers;
  conditions: ServiceConditions;
}

export interface PlanScope {
  projectName: string;
  /** The project as the file describes it; absent for a `down` of a project whose file is gone. */
  project?: Project | undefined;
  /** What `up` wants (the config hash of each service); absent for `down`. */
  desired?: DesiredState | undefined;
  /** The image each service to create runs. */
  images: ReadonlyMap<string, ResolvedImage & { id: string }>;
  timeline: Map<string, TimelineEntry>;
  emit: Emit;
}

const toMs = (timeoutS: number | undefined): number | undefined => (timeoutS !== undefined ? timeoutS * 1000 : undefined);

export class EngineExecutorHost implements ExecutorHost {
  readonly emit: Emit;

  constructor(
    private readonly parts: EngineParts,
    private readonly scope: PlanScope,
  ) {
    this.emit = scope.emit;
  }

  private project(what: string): Project {
    if (!this.scope.project) throw new TscComposeError('TSC_PLAN', `plan: ${what} needs the project's file`);
    return this.scope.project;
  }

  private timelineOf(service: string): TimelineEntry {
    let entry = this.scope.timeline.get(service);
    if (!entry) {
      entry = { name: service };
      this.scope.timeline.set(service, entry);
    }
    return entry;
  }

  readonly networks: ExecutorHost['networks'] = {
    create: async (name) => {
      const project = this.project(`network ${name}`);
      const key = Object.entries(project.networks).find(([, n]) => n.name === name)?.[0];
      if (key === undefined) throw new TscComposeError('TSC_PLAN', `plan: network ${name} is not one of project ${project.name}`);
      await this.parts.networking.ensureNetwork(project, key);
    },
    remove: (name) => this.parts.networking.removeNetwork(name),
  };

  readonly volumes: ExecutorHost['volumes'] = {
    create: (name) => {
      const project = this.project(`volume ${name}`);
      const key = Object.entries(project.volumes).find(([, v]) => v.name === name)?.[0];
      const declared = key !== undefined ? project.volumes[key] : undefined;
      if (declared?.external) {
        // Never created here: it must exist already.
        if (!this.parts.host.volumes.get(name)) throw new TscComposeError('TSC_VOLUME_EXTERNAL', `external volume "${name}" not found`);
        return Promise.resolve();
      }
      this.parts.host.volumes.ensure(name, { labels: { ...(declared?.labels ?? {}), 'com.docker.compose.project': project.name, 'com.docker.compose.volume': key ?? name } });
      return Promise.resolve();
    },
    remove: (name) => {
      this.parts.host.volumes.remove(name);
      return Promise.resolve();
    },
  };

  readonly images: ExecutorHost['images'] = {
    remove: (reference) => {
      this.parts.host.images.remove(reference);
      return Promise.resolve();
    },
  };

  readonly containers: ExecutorHost['containers'] = {
    create: async ({ service, number }) => {
      const project = this.project(`service ${service}`);
      const image = this.scope.images.get(service);
      if (!image) throw new TscComposeError('TSC_PLAN', `plan: no image for ${service}`, { service });
      const wanted = this.scope.desired?.services.find((s) => s.name === service);
      if (!wanted) throw new TscComposeError('TSC_PLAN', `plan: service ${service} is not in the desired state`, { service });
      const record = await this.parts.containers.create({ project, serviceName: service, number, image, imageId: image.id, configHash: wanted.configHash });
      this.timelineOf(service).createdAt ??= Date.now();
      return { id: record.id };
    },
    start: async (id) => {
      const { record, warnings } = await this.parts.containers.start(id);
      this.timelineOf(record.service).startedAt ??= Date.now();
      return { warnings };
    },
    stop: (id, timeoutS) => this.parts.containers.stop(id, { byUser: false, timeoutMs: toMs(timeoutS) }),
    remove: (id) => this.parts.containers.remove(id),
    restart: async (id, timeoutS) => {
      await this.parts.containers.restart(id, toMs(timeoutS));
    },
  };

  async waitForCondition(waiter: string | undefined, condition: WaitCondition): Promise<void> {
    if (waiter !== undefined) {
      const entry = this.timelineOf(waiter);
      entry.waitedFor = [...new Set([...(entry.waitedFor ?? []), condition.service])];
    }
    await this.parts.conditions.waitForCondition(this.scope.projectName, condition.service, condition.condition, condition.required, this.scope.emit, this.scope.timeline);
  }
}
