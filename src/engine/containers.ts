/**
 * A service's container through its life, as the engine drives it: created
 * from the compose service (runtime config, addresses, network namespace,
 * published ports), started, stopped, restarted in place (same writable
 * layer, same address, same log), removed with everything it held. The
 * runtime runs processes; this module keeps the engine's record true.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TscComposeError } from '../errors/index.js';
import type { Project, ServiceConfig } from '../compose/model.js';
import type { Host } from './host.js';
import type { ResolvedImage } from './images.js';
import { translateService } from './service-container.js';
import type { RunOverrides } from './service-container.js';
import type { ContainerConfig } from '../runtime/container.js';
import { containerResolvConf, hostsFile, parseResolvConf } from '../runtime/etc-files.js';
import type { ContainerRecord, EngineStore, NetworkAttachmentRecord, PublishedPortRecord } from './state/store.js';
import { serviceNetworks } from './networking.js';
import type { ProjectNetworking } from './networking.js';
import type { NetworkHost } from '../network/host/index.js';
import { restartPolicyOf } from './restart-policy.js';
import { resolveHealthcheck } from './health/healthcheck.js';
import { parseBytes } from '../util/bytes.js';
import type { LogDefaults } from './config/settings.js';

export interface CreateRequest {
  project: Project;
  serviceName: string;
  number: number;
  image: ResolvedImage;
  imageId: string;
  configHash: string;
  oneOff?: boolean;
  overrides?: RunOverrides;
}

export interface LifecycleEvents {
  emit(event: { type: string; container: ContainerRecord; attributes?: Record<string, string> }): void;
}

export function containerNameFor(project: Project, serviceName: string, number: number): string {
  return project.services[serviceName]?.container_name ?? `${project.name}-${serviceName}-${number}`;
}

function hostResolvConf(): string {
  try {
    return fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/** `ports:` entries → what to publish (host port 0: any free one). */
export function portsToPublish(service: ServiceConfig): PublishedPortRecord[] {
  const out: PublishedPortRecord[] = [];
  for (const p of service.ports ?? []) {
    const protocol = p.protocol === 'udp' ? 'udp' : 'tcp';
    const hostIp = p.host_ip ?? '';
    const published = p.published ?? '';
    if (published.includes('-')) {
      // A host range: the first free port of the range is chosen at start (see publishPorts).
      const [lo, hi] = published.split('-');
      out.push({ protocol, hostIp, hostPort: Number(lo), hostPortEnd: Number(hi), containerPort: p.target });
    } else {
      out.push({ protocol, hostIp, hostPort: published === '' ? 0 : Number(published), containerPort: p.target });
    }
  }
  return out;
}

export class ContainerLifecycle {
  constructor(
    private readonly host: Host,
    private readonly store: EngineStore,
    private readonly networking: ProjectNetworking,
    private readonly netHost: NetworkHost,
    private readonly events: LifecycleEvents,
    /** engine.json's log-opts: each applies where the service's logging.options says nothing. */
    private readonly logDefaults: () => LogDefaults,
  ) {}

  get runtime(): Host['runtime'] {
    return this.host.runtime;
  }

  /** Creates the container (nothing runs yet). Its record is written before any resource is taken, so nothing leaks. */
  async create(req: CreateRequest): Promise<ContainerRecord> {
    const { project, serviceName } = req;
    const service = project.services[serviceName];
    if (!service) throw new TscComposeError('TSC_NO_SUCH_SERVICE', `no such service: ${serviceName}`);
    const name = req.overrides?.name ?? (req.oneOff ? undefined : containerNameFor(project, serviceName, req.number));
    const config = translateService({
      project,
      serviceName,
      service: req.oneOff ? service : this.withoutSharedNamespaces(service),
      image: req.image,
      runtime: this.host.runtime,
      volumes: this.host.volumes,
      scratchDir: this.host.scratchDir,
      hostResolvConf: hostResolvConf(),
      projectDir: this.store.projects.get(project.name)?.workingDir,
      overrides: { ...(req.overrides ?? {}), ...(name ? { name } : {}), oneOff: req.oneOff === true },
    });
    if (this.store.containers.list().some((c) => c.name === config.name)) {
      throw new TscComposeError('TSC_NAME_CONFLICT', `container name "${config.name}" is already in use`, { service: serviceName });
    }
    config.labels['com.docker.compose.container-number'] = String(req.number);
    config.labels['com.docker.compose.config-hash'] = req.configHash;
    const logging = service.logging?.options ?? {};
    const logDefaults = this.logDefaults();
    const record: ContainerRecord = {
      id: config.id,
      name: config.name,
      project: project.name,
      service: serviceName,
      number: req.number,
      oneOff: req.oneOff === true,
      configHash: req.configHash,
      image: req.image.reference,
      imageId: req.imageId,
      createdAt: new Date().toISOString(),
      restartPolicy: req.oneOff ? { name: 'no' } : restartPolicyOf(service, serviceName),
      stoppedByUser: false,
      restartCount: 0,
      networks: [],
      ports: req.oneOff ? [] : portsToPublish(service),
      healthcheck: req.oneOff ? undefined : resolveHealthcheck(service.healthcheck, req.image.config.config?.Healthcheck),
      logMaxSize: logging['max-size'] ? parseBytes(logging['max-size']) : logDefaults.maxSize,
      logMaxFiles: logging['max-file'] ? Number(logging['max-file']) : logDefaults.maxFiles,
    };
    this.store.containers.put(record.id, record);
    try {
      await this.wireNamespaces(project, serviceName, service, config, record);
      this.host.runtime.create(config);
      this.store.containers.put(record.id, record);
    } catch (err) {
      await this.remove(record.id).catch(() => undefined);
      throw err;
    }
    this.events.emit({ type: 'create', container: record });
    return record;
  }

  /** Shared namespaces are resolved by the engine (a sandbox path follows restarts), not by the translation. */
  private withoutSharedNamespaces(service: ServiceConfig): ServiceConfig {
    const nm = service.network_mode;
    if (nm && /^(service|container):/.test(nm)) return { ...service, network_mode: 'none' };
    return service;
  }

  private async wireNamespaces(project: Project, serviceName: string, service: ServiceConfig, config: ContainerConfig, record: ContainerRecord): Promise<void> {
    const mode = service.network_mode;
    const shared = mode ? /^(service|container):(.+)$/.exec(mode) : null;
    let attachments: NetworkAttachmentRecord[] = [];
    if (shared) {
      const target = shared[2] as string;
      const peer = this.store.containers
        .list()
        .find((c) => (shared[1] === 'service' ? c.project === project.name && c.service === target && !c.oneOff : c.name === target || c.id === target));
      if (!peer) throw new TscComposeError('TSC_NAMESPACE_TARGET', `network_mode: ${mode}: no such container`, { service: serviceName });
      if (peer.sandbox) config.namespaces.net = { path: peer.sandbox };
      else {
        const state = this.host.runtime.state(peer.id);
        if (!state || !this.host.runtime.isRunning(peer.id)) throw new TscComposeError('TSC_NAMESPACE_TARGET', `network_mode: ${mode}: ${peer.name} is not running`, { service: serviceName });
        config.namespaces.net = { path: `/proc/${state.pid}/ns/net` };
      }
      record.ports = [];
    } else {
      const choices = serviceNetworks(project, service);
      if (choices.length > 0) {
        const names = [serviceName, config.name, config.id.slice(0, 12), ...(service.hostname ? [service.hostname] : [])];
        attachments = this.networking.allocate(record.id, choices, record.oneOff ? [config.name, config.id.slice(0, 12)] : names);
        record.networks = attachments;
        this.store.containers.put(record.id, record);
        record.sandbox = await this.networking.plumb(record.id, attachments);
        config.namespaces.net = { path: record.sandbox };
      } else if (mode === 'host') {
        record.ports = [];
      }
    }
    this.writeEtcFiles(service, config, attachments);
  }

  private writeEtcFiles(service: ServiceConfig, config: ContainerConfig, attachments: NetworkAttachmentRecord[]): void {
    if (config.namespaces.net === 'host') return;
    const gateway = attachments[0]?.gateway;
    const extraHosts = (service.extra_hosts ?? []).map((e) => {
      const i = e.indexOf('=');
      const ip = e.slice(i + 1);
      return { host: e.slice(0, i), ip: ip === 'host-gateway' ? (gateway ?? '127.0.0.1') : ip };
    });
    fs.writeFileSync(
      config.files.hosts,
      hostsFile({ hostname: config.hostname, domainname: config.domainname, addresses: attachments.length > 0 ? attachments.map((a) => a.address) : ['127.0.1.1'], extraHosts }),
    );
    if (gateway) {
      // The embedded DNS server listens on the gateway; `dns:` replaces it, as in Docker.
      const host = parseResolvConf(hostResolvConf());
      const text = containerResolvConf(
        { nameservers: [gateway], search: host.search, options: [] },
        { dns: service.dns, dnsSearch: service.dns_search, dnsOptions: service.dns_opt },
        false,
      );
      fs.writeFileSync(config.files.resolvConf, text);
    }
  }

  async start(id: string, opts: { stdin?: NodeJS.ReadableStream; terminal?: { rows: number; cols: number; output: NodeJS.WritableStream } } = {}): Promise<{ record: ContainerRecord; warnings: string[]; consoleDone?: Promise<void> }> {
    const record = this.store.containers.get(id);
    const config = this.host.runtime.readConfig(id);
    if (!record || !config) throw new TscComposeError('TSC_NO_SUCH_CONTAINER', `no such container: ${id}`);
    if (this.host.runtime.isRunning(id)) return { record, warnings: [] };
    if (record.sandbox && !fs.existsSync(record.sandbox)) {
      // After a reboot the namespace is gone: plumb a new one with the same addresses.
      record.sandbox = await this.networking.plumb(id, record.networks);
      config.namespaces.net = { path: record.sandbox };
      this.host.runtime.create(config);
    }
    if (record.networks.length > 0) for (const n of record.networks) await this.networking.ensureNetworkByName(n.network);
    record.ports = await this.publishPorts(record);
    // Known to DNS before its process runs, so its own first lookups and its peers' find it.
    this.networking.publishDns(id, record.networks);
    let started;
    try {
      started = await this.host.runtime.start(config, record.service, { ...opts, log: { maxSize: record.logMaxSize, maxFiles: record.logMaxFiles } });
    } catch (err) {
      this.networking.withdrawDns(id);
      await this.netHost.unpublish(id).catch(() => undefined);
      throw err;
    }
    const updated = this.store.updateContainer(id, (r) => {
      r.ports = record.ports;
      r.sandbox = record.sandbox;
      r.startedAt = new Date().toISOString();
      r.finishedAt = undefined;
      r.exitCode = undefined;
      r.oomKilled = undefined;
      r.restartAt = undefined;
      r.paused = false;
      r.health = undefined;
    }) as ContainerRecord;
    this.networking.publishDns(id, updated.networks);
    this.events.emit({ type: 'start', container: updated });
    return started.consoleDone ? { record: updated, warnings: started.warnings, consoleDone: started.consoleDone } : { record: updated, warnings: started.warnings };
  }

  /** Reserves host ports and installs forwarding; a port in use fails the start naming it. */
  async publishPorts(record: ContainerRecord): Promise<PublishedPortRecord[]> {
    const containerIp = record.networks[0]?.address;
    if (!containerIp || record.ports.length === 0) return record.ports;
    const out: PublishedPortRecord[] = [];
    try {
      for (const p of record.ports) {
        const candidates = p.hostPortEnd !== undefined && p.hostPort > 0 ? portRange(p.hostPort, p.hostPortEnd) : [p.hostPort];
        let lastError: unknown;
        let published: number | undefined;
        for (const hostPort of candidates) {
          try {
            const r = await this.netHost.publish({ owner: record.id, protocol: p.protocol, hostIp: p.hostIp, hostPort, containerIp, containerPort: p.containerPort, service: record.service });
            published = r.hostPort;
            break;
          } catch (err) {
            lastError = err;
          }
        }
        if (published === undefined) throw lastError;
        // The chosen port is kept, so a restart publishes the same one.
        out.push({ protocol: p.protocol, hostIp: p.hostIp, hostPort: published, containerPort: p.containerPort });
      }
    } catch (err) {
      await this.netHost.unpublish(record.id).catch(() => undefined);
      throw err;
    }
    return out;
  }

  /** What an exited container gives back until it starts again: its published ports and DNS names. */
  async afterExit(id: string): Promise<void> {
    this.networking.withdrawDns(id);
    await this.netHost.unpublish(id).catch(() => undefined);
  }

  /** stop_signal, grace period, SIGKILL. `byUser` is remembered (no restart policy brings it back). */
  async stop(id: string, opts: { timeoutMs?: number | undefined; byUser: boolean }): Promise<void> {
    const record = this.store.updateContainer(id, (r) => {
      if (opts.byUser) r.stoppedByUser = true;
      r.restartAt = undefined;
    });
    const config = this.host.runtime.readConfig(id);
    if (!record || !config) return;
    if (record.paused) await this.unpause(id);
    if (this.host.runtime.isRunning(id)) {
      this.events.emit({ type: 'kill', container: record });
      await this.host.runtime.stop(id, config.stopSignal, opts.timeoutMs ?? config.stopTimeoutMs);
    }
    if (record.ports.length > 0) await this.netHost.unpublish(id).catch(() => undefined);
  }

  async pause(id: string): Promise<void> {
    const record = this.require(id);
    if (!this.host.runtime.isRunning(id)) throw new TscComposeError('TSC_NOT_RUNNING', `container ${record.name} is not running`);
    await this.host.runtime.cgroup(id).freeze();
    this.store.updateContainer(id, (r) => {
      r.paused = true;
    });
    this.events.emit({ type: 'pause', container: record });
  }

  async unpause(id: string): Promise<void> {
    const record = this.require(id);
    await this.host.runtime.cgroup(id).thaw();
    this.store.updateContainer(id, (r) => {
      r.paused = false;
    });
    this.events.emit({ type: 'unpause', container: record });
  }

  require(id: string): ContainerRecord {
    const record = this.store.containers.get(id);
    if (!record) throw new TscComposeError('TSC_NO_SUCH_CONTAINER', `no such container: ${id}`);
    return record;
  }

  /** Stops it and gives back everything it held: ports, addresses, namespace, cgroup, files, record. */
  async remove(id: string, opts: { volumes?: boolean } = {}): Promise<void> {
    const record = this.store.containers.get(id);
    const config = this.host.runtime.readConfig(id);
    if (record?.paused) await this.unpause(id).catch(() => undefined);
    // Without published ports there are no rules to take out (and reading the firewall costs ~20 ms).
    if (!record || record.ports.length > 0) await this.netHost.unpublish(id).catch(() => undefined);
    this.networking.withdrawDns(id);
    await this.host.runtime.remove(id);
    await this.networking.unplumb(id).catch(() => undefined);
    if (record) this.networking.release(id, record.networks);
    if (opts.volumes && config) {
      // Anonymous volumes only (`rm -v`, `down -v` removes named ones separately).
      for (const m of config.mounts) {
        if (m.type !== 'volume' || !m.source) continue;
        const name = path.basename(path.dirname(m.source));
        if (name.includes('-anon-')) this.host.volumes.remove(name);
      }
    }
    this.store.containers.delete(id);
    if (record) this.events.emit({ type: 'destroy', container: record });
  }
}

function portRange(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let port = lo; port <= hi; port++) out.push(port);
  return out;
}
