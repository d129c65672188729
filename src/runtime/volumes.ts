/**
 * Named volumes: a directory per volume under the data root, with its labels
 * and driver options, kept until `down -v` or `volume rm`. An empty volume
 * mounted over a path the image has content at gets that content first (as
 * Docker does), copied from a short-lived read-only overlay of the image.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { TscComposeError } from '../errors/index.js';
import { readJsonFile, writeJsonAtomic } from '../util/atomic-file.js';
import { mountFs, unmountFs } from '../sys/fs.js';
import { MS } from '../sys/constants.js';

export interface VolumeRecord {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  createdAt: string;
  mountpoint: string;
  /** Set once the volume received the image's content (never copied twice). */
  initialized: boolean;
}

const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export class VolumeStore {
  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  }

  private dir(name: string): string {
    if (!VALID_NAME.test(name)) {
      throw new TscComposeError('TSC_VOLUME_NAME', `invalid volume name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    return path.join(this.root, name);
  }

  get(name: string): VolumeRecord | undefined {
    return readJsonFile<VolumeRecord>(path.join(this.dir(name), 'volume.json'));
  }

  list(): VolumeRecord[] {
    return fs
      .readdirSync(this.root)
      .filter((n) => VALID_NAME.test(n))
      .map((n) => this.get(n))
      .filter((v): v is VolumeRecord => v !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Creates the volume if it does not exist; returns it either way. */
  ensure(name: string, spec: { driver?: string; labels?: Record<string, string>; options?: Record<string, string> } = {}): VolumeRecord {
    const existing = this.get(name);
    if (existing) return existing;
    const driver = spec.driver ?? 'local';
    if (driver !== 'local') {
      throw new TscComposeError('TSC_VOLUME_DRIVER', `volume "${name}": driver "${driver}" is not supported (only "local")`);
    }
    const dir = this.dir(name);
    const data = path.join(dir, '_data');
    fs.mkdirSync(data, { recursive: true, mode: 0o755 });
    const record: VolumeRecord = {
      name,
      driver,
      labels: spec.labels ?? {},
      options: spec.options ?? {},
      createdAt: new Date().toISOString(),
      mountpoint: data,
      initialized: false,
    };
    writeJsonAtomic(path.join(dir, 'volume.json'), record);
    return record;
  }

  remove(name: string): boolean {
    const dir = this.dir(name);
    if (!fs.existsSync(dir)) return false;
    fs.rmSync(dir, { recursive: true, force: true });
    return true;
  }

  /**
   * First use of an empty volume at `containerPath`: copy the image's content
   * there into it. `lowerDirs` are the image's overlay layers, top first.
   */
  populateFromImage(name: string, lowerDirs: string[], containerPath: string, scratchDir: string): void {
    const record = this.get(name);
    if (!record || record.initialized) return;
    const markInitialized = (): void => writeJsonAtomic(path.join(this.dir(name), 'volume.json'), { ...record, initialized: true });
    if (fs.readdirSync(record.mountpoint).length > 0 || lowerDirs.length === 0) {
      markInitialized();
      return;
    }
    const mnt = path.join(scratchDir, `vol-${randomBytes(6).toString('hex')}`);
    fs.mkdirSync(mnt, { recursive: true, mode: 0o700 });
    // A single lower layer cannot be an overlay by itself; two read-only lowers need no upper.
    const data = lowerDirs.length === 1 ? null : `lowerdir=${lowerDirs.join(':')}`;
    try {
      if (data === null) mountFs(lowerDirs[0] as string, mnt, null, 0x1000 /* MS_BIND */, null);
      else mountFs('overlay', mnt, 'overlay', MS.RDONLY, data);
      try {
        const source = path.join(mnt, containerPath);
        const real = fs.realpathSync(source);
        // A path that resolves outside the image (a symlink to /) copies nothing.
        if (real.startsWith(`${mnt}/`) && fs.statSync(real).isDirectory()) {
          const r = spawnSync('cp', ['-a', '--', `${real}/.`, record.mountpoint], { encoding: 'utf8' });
          if (r.status !== 0) throw new TscComposeError('TSC_VOLUME_COPY', `copying ${containerPath} from the image into volume "${name}" failed: ${r.stderr}`);
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      } finally {
        unmountFs(mnt);
      }
    } finally {
      fs.rmSync(mnt, { recursive: true, force: true });
    }
    markInitialized();
  }
}
