/**
 * A compose service becomes a runtime ContainerConfig here (compose's
 * create.go): the runtime knows nothing of compose, the loader nothing of the
 * kernel. Reads the image's files (passwd, group) and prepares volumes and
 * the container's /etc files; everything else is a pure translation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TscComposeError } from '../errors/index.js';
import type { Project, ServiceConfig } from '../compose/model.js';
import type { ImageConfig } from '../image/oci.js';
import type { ContainerConfig, NamespaceMode, UserMount } from '../runtime/container.js';
import type { Runtime } from '../runtime/container.js';
import { capabilityMask } from '../runtime/capabilities.js';
import { heldCapabilities } from '../sys/process.js';
import { securityOptions } from './security-options.js';
import { seccompFilterFor } from './seccomp-choice.js';
import { allHostDevices, mappedDevices } from '../runtime/devices/host-devices.js';
import type { HostDevice } from '../runtime/devices/host-devices.js';
import { deviceRules } from '../runtime/devices/defaults.js';
import { decideProcess, withHome } from '../runtime/process-defaults.js';
import { resolveUser } from '../runtime/user.js';
import { containerResolvConf, hostnameFile, hostsFile, parseResolvConf } from '../runtime/etc-files.js';
import type { VolumeStore } from '../runtime/volumes.js';
import { parseDuration } from '../util/duration.js';
import type { CgroupResources } from '../runtime/cgroups/manager.js';

export interface RunOverrides {
  command?: string[] | undefined;
  entrypoint?: string[] | undefined;
  environment?: Record<string, string>;
  user?: string | undefined;
  workingDir?: string | undefined;
  name?: string | undefined;
  oneOff?: boolean;
}

export interface TranslateContext {
  project: Project;
  serviceName: string;
  service: ServiceConfig;
  image: { reference: string; lowerDirs: string[]; config: ImageConfig };
  runtime: Runtime;
  volumes: VolumeStore;
  scratchDir: string;
  hostResolvConf: string;
  /** Where the project's files are: relative paths the loader leaves as they are (a seccomp profile) are relative to it. */
  projectDir?: string | undefined;
  overrides?: RunOverrides;
}

/** Reads a file from the image's merged layers (top layer first; a whiteout hides it). */
export function readImageFile(lowerDirs: string[], file: string): string | undefined {
  for (const layer of lowerDirs) {
    const p = path.join(layer, file);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isCharacterDevice() && st.rdev === 0) return undefined;
    if (st.isFile()) return fs.readFileSync(p, 'utf8');
    return undefined;
  }
  return undefined;
}

function namespaceMode(value: string | undefined, runtime: Runtime, project: Project, kind: string, service: string): NamespaceMode {
  if (value === undefined || value === '' || value === 'private' || value === 'shareable' || value === 'none') return 'private';
  if (value === 'host') return 'host';
  const m = /^(service|container):(.+)$/.exec(value);
  if (m) {
    const target = m[2] as string;
    const candidates = runtime
      .list()
      .filter((c) => (m[1] === 'service' ? c.labels['com.docker.compose.project'] === project.name && c.labels['com.docker.compose.service'] === target : c.name === target || c.id === target));
    const running = candidates.find((c) => runtime.isRunning(c.id));
    const state = running ? runtime.state(running.id) : undefined;
    if (!state) throw new TscComposeError('TSC_NAMESPACE_TARGET', `${kind}: ${value}: no running container to share the namespace with`, { service });
    const nsName = kind === 'network_mode' ? 'net' : kind;
    return { path: `/proc/${state.pid}/ns/${nsName}` };
  }
  throw new TscComposeError('TSC_NAMESPACE_MODE', `${kind}: "${value}" is not supported`, { service });
}

function resources(svc: ServiceConfig, devices: HostDevice[]): CgroupResources {
  const deploy = (svc as Record<string, unknown>)['deploy'] as { resources?: { limits?: { cpus?: number; memory?: number; pids?: number }; reservations?: { memory?: number } } } | undefined;
  const limits = deploy?.resources?.limits;
  const swap = svc.memswap_limit;
  return {
    memoryLimit: svc.mem_limit ?? limits?.memory,
    memorySwapLimit: swap,
    memoryReservation: svc.mem_reservation ?? deploy?.resources?.reservations?.memory,
    cpus: svc.cpus ?? limits?.cpus,
    cpuShares: svc.cpu_shares,
    cpusetCpus: svc.cpuset,
    pidsLimit: svc.pids_limit ?? limits?.pids,
    blkioWeight: ((svc as Record<string, unknown>)['blkio_config'] as { weight?: number } | undefined)?.weight,
    // Deny all, Docker's defaults, then exactly what the file names (privileged: everything).
    devices: deviceRules({ privileged: svc.privileged === true, devices, deviceCgroupRules: svc.device_cgroup_rules }),
  };
}

function mountsFor(ctx: TranslateContext, containerId: string): UserMount[] {
  const { service, serviceName, project } = ctx;
  const out: UserMount[] = [];
  for (const v of service.volumes ?? []) {
    const readOnly = v.read_only === true;
    if (v.type === 'bind') {
      const source = v.source as string;
      if (!fs.existsSync(source)) {
        if (v.bind?.create_host_path === false) {
          throw new TscComposeError('TSC_BIND_SOURCE_MISSING', `bind source path does not exist: ${source}`, { service: serviceName });
        }
        fs.mkdirSync(source, { recursive: true });
      }
      out.push({ type: 'bind', source, target: v.target, readOnly, propagation: v.bind?.propagation });
    } else if (v.type === 'volume') {
      const key = v.source;
      const declared = key ? (project.volumes ?? {})[key] : undefined;
      if (key && !declared) throw new TscComposeError('TSC_VOLUME_UNDEFINED', `service "${serviceName}" refers to undefined volume ${key}`, { service: serviceName });
      const name = declared?.name ?? `${project.name}-anon-${containerId.slice(0, 12)}-${out.length}`;
      const external = declared?.external === true;
      if (external && !ctx.volumes.get(name)) throw new TscComposeError('TSC_VOLUME_EXTERNAL', `external volume "${name}" not found`, { service: serviceName });
      const record = ctx.volumes.ensure(name, {
        labels: { ...(declared?.labels ?? {}), 'com.docker.compose.project': project.name, 'com.docker.compose.volume': key ?? '' },
      });
      if (v.volume?.nocopy !== true) ctx.volumes.populateFromImage(name, ctx.image.lowerDirs, v.target, ctx.scratchDir);
      out.push({ type: 'volume', source: record.mountpoint, target: v.target, readOnly });
    } else if (v.type === 'tmpfs') {
      out.push({ type: 'tmpfs', target: v.target, readOnly, tmpfsSize: v.tmpfs?.size, tmpfsMode: v.tmpfs?.mode });
    } else {
      throw new TscComposeError('TSC_VOLUME_TYPE', `volume type "${v.type}" is not supported yet`, { service: serviceName });
    }
  }
  out.push(...fileObjectMounts(ctx, containerId));
  for (const entry of service.tmpfs ?? []) {
    const [target, opts = ''] = entry.split(':');
    const size = /size=(\d+)/.exec(opts)?.[1];
    out.push({ type: 'tmpfs', target: target as string, tmpfsSize: size ? Number(size) : undefined });
  }
  return out;
}

/**
 * `secrets:` and `configs:` of the service: a file source is bind-mounted
 * read-only at the target; `environment:` and `content:` sources are written
 * into the container's runtime directory (mode and owner applied) and mounted
 * from there, so their values never land in the image or a volume.
 */
function fileObjectMounts(ctx: TranslateContext, containerId: string): UserMount[] {
  const { service, serviceName, project } = ctx;
  const out: UserMount[] = [];
  const dir = path.join(ctx.runtime.paths(containerId).dataDir, 'files');
  const sections = [
    ['secrets', service.secrets ?? [], project.secrets ?? {}],
    ['configs', service.configs ?? [], project.configs ?? {}],
  ] as const;
  for (const [kind, refs, declared] of sections) {
    refs.forEach((ref, index) => {
      const def = declared[ref.source];
      if (!def) throw new TscComposeError('TSC_FILE_OBJECT_UNDEFINED', `service "${serviceName}" refers to undefined ${kind.slice(0, -1)} ${ref.source}`, { service: serviceName });
      const target = ref.target ?? (kind === 'secrets' ? `/run/secrets/${ref.source}` : `/${ref.source}`);
      const absoluteTarget = target.startsWith('/') ? target : kind === 'secrets' ? `/run/secrets/${target}` : `/${target}`;
      let source: string;
      if (def.file !== undefined) {
        if (!fs.existsSync(def.file)) throw new TscComposeError('TSC_FILE_OBJECT_MISSING', `${kind.slice(0, -1)} "${ref.source}": file ${def.file} does not exist`, { service: serviceName });
        source = def.file;
      } else if (def.environment !== undefined || def.content !== undefined) {
        const value = def.content ?? process.env[def.environment as string];
        if (value === undefined) throw new TscComposeError('TSC_FILE_OBJECT_MISSING', `${kind.slice(0, -1)} "${ref.source}": environment variable ${def.environment} is not set`, { service: serviceName });
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        source = path.join(dir, `${kind}-${index}`);
        fs.writeFileSync(source, value, { mode: ref.mode ?? 0o444 });
        fs.chmodSync(source, ref.mode ?? 0o444);
        fs.chownSync(source, ref.uid !== undefined ? Number(ref.uid) : 0, ref.gid !== undefined ? Number(ref.gid) : 0);
      } else if (def.external) {
        throw new TscComposeError('TSC_FILE_OBJECT_EXTERNAL', `external ${kind} need a swarm; "${ref.source}" cannot be provided`, { service: serviceName });
      } else {
        throw new TscComposeError('TSC_FILE_OBJECT_INVALID', `${kind.slice(0, -1)} "${ref.source}" has no file, environment or content`, { service: serviceName });
      }
      out.push({ type: 'bind', source, target: absoluteTarget, readOnly: true });
    });
  }
  return out;
}

/** Only sysctls the kernel keeps per namespace may be set (Docker's rule): IPC ones, and net.* in a private network. */
export function checkSysctls(sysctls: Record<string, string>, privateNetwork: boolean, service: string): Record<string, string> {
  for (const key of Object.keys(sysctls)) {
    const ipc = /^(kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)|fs\.mqueue\.)/.test(key);
    const net = key.startsWith('net.') && privateNetwork;
    if (!ipc && !net) {
      throw new TscComposeError('TSC_SYSCTL', `sysctl "${key}" is not in a separate kernel namespace${key.startsWith('net.') ? ' (the container shares the host network)' : ''}`, { service });
    }
  }
  return sysctls;
}

export function translateService(ctx: TranslateContext): ContainerConfig {
  const { service: svc, serviceName, project, image } = ctx;
  const o = ctx.overrides ?? {};
  const id = randomBytes(16).toString('hex');
  const hostname = svc.hostname ?? id.slice(0, 12);
  const runtimeConfig = image.config.config ?? {};
  const decided = decideProcess(
    runtimeConfig,
    {
      entrypoint: o.entrypoint ?? svc.entrypoint ?? undefined,
      command: o.command ?? svc.command ?? undefined,
      environment: { ...(svc.environment ?? {}), ...(o.environment ?? {}) },
      workingDir: o.workingDir ?? svc.working_dir,
      user: o.user ?? svc.user,
      tty: svc.tty,
      hostname,
    },
    serviceName,
  );
  let user;
  try {
    user = resolveUser(
      decided.user,
      (svc.group_add ?? []).map(String),
      readImageFile(image.lowerDirs, 'etc/passwd'),
      readImageFile(image.lowerDirs, 'etc/group'),
    );
  } catch (err) {
    throw new TscComposeError('TSC_USER_UNKNOWN', `service "${serviceName}": ${(err as Error).message}`, { service: serviceName });
  }
  const paths = ctx.runtime.paths(id);
  try {
    const etc = paths.etc;
    fs.mkdirSync(etc, { recursive: true, mode: 0o700 });
    const files = { hosts: path.join(etc, 'hosts'), hostname: path.join(etc, 'hostname'), resolvConf: path.join(etc, 'resolv.conf') };
    const extraHosts = (svc.extra_hosts ?? []).map((e) => {
      const i = e.indexOf('=');
      return { host: e.slice(0, i), ip: e.slice(i + 1) === 'host-gateway' ? '127.0.0.1' : e.slice(i + 1) };
    });
    const networkMode = svc.network_mode;
    const net = namespaceMode(networkMode === 'bridge' ? undefined : networkMode, ctx.runtime, project, 'network_mode', serviceName);
    fs.writeFileSync(files.hostname, hostnameFile(hostname));
    fs.writeFileSync(files.hosts, hostsFile({ hostname, domainname: svc.domainname, addresses: net === 'host' ? [] : ['127.0.1.1'], extraHosts }));
    fs.writeFileSync(files.resolvConf, containerResolvConf(parseResolvConf(ctx.hostResolvConf), { dns: svc.dns, dnsSearch: svc.dns_search, dnsOptions: svc.dns_opt }, net === 'host'));

    const security = securityOptions(svc.security_opt, serviceName);
    const capabilities = capabilityMask({ privileged: svc.privileged, add: svc.cap_add, drop: svc.cap_drop, held: heldCapabilities() }, serviceName);
    const devices = [...(svc.privileged ? allHostDevices() : []), ...mappedDevices(svc.devices, serviceName)];
    const stopGrace = parseDuration(svc.stop_grace_period ?? '10s') ?? 10_000;
    const ulimits = Object.entries(svc.ulimits ?? {}).map(([name, v]) => (typeof v === 'number' ? { name, soft: v, hard: v } : { name, soft: v.soft, hard: v.hard }));
    const labels: Record<string, string> = {
      ...(svc.labels ?? {}),
      'com.docker.compose.project': project.name,
      'com.docker.compose.service': serviceName,
      'com.docker.compose.oneoff': o.oneOff ? 'True' : 'False',
      'com.docker.compose.image': image.reference,
    };
    return {
      id,
      name: o.name ?? svc.container_name ?? `${project.name}-${serviceName}-${o.oneOff ? `run-${id.slice(0, 12)}` : '1'}`,
      labels,
      image: { reference: image.reference, lowerDirs: image.lowerDirs },
      args: decided.args,
      env: withHome(decided.env, user.home),
      cwd: decided.cwd,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      hostname,
      domainname: svc.domainname,
      mounts: mountsFor(ctx, id),
      readOnlyRootfs: svc.read_only === true,
      init: svc.init === true,
      shmSize: svc.shm_size,
      namespaces: {
        net,
        pid: namespaceMode(svc.pid, ctx.runtime, project, 'pid', serviceName),
        ipc: namespaceMode(svc.ipc, ctx.runtime, project, 'ipc', serviceName),
        uts: namespaceMode(svc.uts, ctx.runtime, project, 'uts', serviceName),
      },
      resources: resources(svc, devices),
      devices,
      capabilities,
      seccomp: seccompFilterFor(security.seccomp, { privileged: svc.privileged === true, capabilities, projectDir: ctx.projectDir, service: serviceName }),
      noNewPrivileges: security.noNewPrivileges,
      unmaskedSystemPaths: security.unmaskedSystemPaths,
      ulimits,
      sysctls: checkSysctls((svc.sysctls) ?? {}, net !== 'host', serviceName),
      oomScoreAdj: svc.oom_score_adj,
      privileged: svc.privileged === true,
      stopSignal: svc.stop_signal ?? runtimeConfig.StopSignal ?? 'SIGTERM',
      stopTimeoutMs: stopGrace,
      files,
    };
  } catch (err) {
    // Nothing of a container that could not be made stays behind.
    fs.rmSync(paths.dataDir, { recursive: true, force: true });
    fs.rmSync(paths.runDir, { recursive: true, force: true });
    throw err;
  }
}
