/**
 * The engine's own records, beside the runtime's: which containers belong to
 * which project and service, what the user asked of them (stopped by hand,
 * restart policy), what the engine learned (restart count, health, addresses,
 * published ports), the projects' desired models and the networks' address
 * books. One JSON file per record, written atomically, so a killed engine
 * finds everything as it was and a half-written file never exists.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../../util/atomic-file.js';
import type { Project } from '../../compose/model.js';
import type { SubnetState } from '../../network/ipam.js';

export interface RestartPolicyRecord {
  name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  maxRetries?: number | undefined;
}

export interface HealthRecord {
  status: 'starting' | 'healthy' | 'unhealthy';
  failingStreak: number;
  log: Array<{ start: string; end: string; exitCode: number; output: string }>;
}

export interface NetworkAttachmentRecord {
  /** Full network name (`<project>_<key>` or `name:`). */
  network: string;
  key: string;
  ifname: string;
  hostIfname: string;
  address: string;
  prefix: number;
  gateway: string;
  mac?: string | undefined;
  /** Names other containers on this network resolve to this one. */
  dnsNames: string[];
}

export interface PublishedPortRecord {
  protocol: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  /** A host port range (`8000-8010`) before a port of it was chosen. */
  hostPortEnd?: number | undefined;
  containerPort: number;
}

export interface ContainerRecord {
  id: string;
  name: string;
  project: string;
  service: string;
  number: number;
  oneOff: boolean;
  configHash: string;
  image: string;
  imageId: string;
  createdAt: string;
  restartPolicy: RestartPolicyRecord;
  /** Set by `stop`/`kill` from the user: no restart policy brings it back (unless-stopped remembers it across reboots). */
  stoppedByUser: boolean;
  restartCount: number;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  exitCode?: number | undefined;
  oomKilled?: boolean | undefined;
  paused?: boolean | undefined;
  health?: HealthRecord | undefined;
  /** Resolved from the service and the image at create time. */
  healthcheck?: { test: string[]; intervalMs: number; timeoutMs: number; retries: number; startPeriodMs: number; startIntervalMs: number } | undefined;
  /** Path of the network namespace the engine made for it (undefined: host/none/shared). */
  sandbox?: string | undefined;
  networks: NetworkAttachmentRecord[];
  ports: PublishedPortRecord[];
  /** logging.options max-size / max-file (rotation by the monitor). */
  logMaxSize?: number | undefined;
  logMaxFiles?: number | undefined;
  /** When the engine has decided to start it again after an exit (restart policy). */
  restartAt?: string | undefined;
}

export interface ProjectRecord {
  name: string;
  workingDir: string;
  configFiles: string[];
  project: Project;
  updatedAt: string;
}

export interface NetworkRecord {
  /** Full name. */
  name: string;
  project: string;
  key: string;
  bridge: string;
  internal: boolean;
  external: boolean;
  configHash: string;
  labels: Record<string, string>;
  mtu?: number | undefined;
  ipam: SubnetState;
  createdAt: string;
}

function safeName(name: string): string {
  return encodeURIComponent(name);
}

class RecordDir<T> {
  constructor(private readonly dir: string) {}

  private file(key: string): string {
    return path.join(this.dir, `${safeName(key)}.json`);
  }

  get(key: string): T | undefined {
    return readJsonFile<T>(this.file(key));
  }

  put(key: string, value: T): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeJsonAtomic(this.file(key), value);
  }

  delete(key: string): void {
    fs.rmSync(this.file(key), { force: true });
  }

  list(): T[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: T[] = [];
    for (const n of names) {
      // Temporary files of an interrupted write start with a dot: not records.
      if (!n.endsWith('.json') || n.startsWith('.')) continue;
      const value = readJsonFile<T>(path.join(this.dir, n));
      if (value !== undefined) out.push(value);
    }
    return out;
  }

  /** Removes leftovers of writes a crash interrupted. */
  sweep(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) if (n.startsWith('.') && n.endsWith('.tmp')) fs.rmSync(path.join(this.dir, n), { force: true });
  }
}

export class EngineStore {
  readonly containers: RecordDir<ContainerRecord>;
  readonly projects: RecordDir<ProjectRecord>;
  readonly networks: RecordDir<NetworkRecord>;

  constructor(readonly root: string) {
    this.containers = new RecordDir(path.join(root, 'containers'));
    this.projects = new RecordDir(path.join(root, 'projects'));
    this.networks = new RecordDir(path.join(root, 'networks'));
    for (const d of [this.containers, this.projects, this.networks]) d.sweep();
  }

  containersOf(project: string): ContainerRecord[] {
    return this.containers.list().filter((c) => c.project === project);
  }

  networksOf(project: string): NetworkRecord[] {
    return this.networks.list().filter((n) => n.project === project);
  }

  /** Applies `change` to the stored record (if it still exists) and writes it back. */
  updateContainer(id: string, change: (record: ContainerRecord) => void): ContainerRecord | undefined {
    const record = this.containers.get(id);
    if (!record) return undefined;
    change(record);
    this.containers.put(id, record);
    return record;
  }
}
