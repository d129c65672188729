/** `tsc-compose image import|ls|rm|inspect` and `tsc-compose images`. */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import type { Command, CommandIO } from '../command.js';
import { flag, listOption, parseOptions } from '../args.js';
import { openHost } from '../../engine/host.js';
import type { Host } from '../../engine/host.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import type { ImageRuntimeConfig } from '../../image/oci.js';
import { familiarReference, parseReference } from '../../image/reference.js';
import { loadImages } from '../../image/archive/load.js';
import type { LoadInput } from '../../image/archive/load.js';
import { saveImagesToFile, writeImageArchive } from '../../image/archive/save.js';
import { subcommandOf } from '../subcommands.js';
import { confirm } from '../prompt.js';
import { loadProjectRef } from '../session.js';
import type { ImageRecord } from '../../image/store/image-store.js';
import { unreachable } from '../../errors/index.js';

/** `--change 'CMD ["sh"]'` style instructions, as `docker import` takes them. */
export function parseChange(change: string): ImageRuntimeConfig {
  const m = /^\s*(CMD|ENTRYPOINT|ENV|WORKDIR|USER|EXPOSE|LABEL|STOPSIGNAL|VOLUME)\s+(.*)$/is.exec(change);
  if (!m) throw new UsageError(`unsupported --change "${change}": expected CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL, STOPSIGNAL or VOLUME`);
  const verb = (m[1] as string).toUpperCase();
  const rest = (m[2] as string).trim();
  const list = (): string[] => {
    if (rest.startsWith('[')) {
      const parsed = JSON.parse(rest) as unknown;
      if (!Array.isArray(parsed)) throw new UsageError(`--change ${verb}: expected a JSON list`);
      return parsed.map(String);
    }
    return ['/bin/sh', '-c', rest];
  };
  switch (verb) {
    case 'CMD':
      return { Cmd: list() };
    case 'ENTRYPOINT':
      return { Entrypoint: list() };
    case 'ENV':
      return { Env: [rest.includes('=') ? rest : rest.replace(/\s+/, '=')] };
    case 'WORKDIR':
      return { WorkingDir: rest };
    case 'USER':
      return { User: rest };
    case 'EXPOSE':
      return { ExposedPorts: Object.fromEntries(rest.split(/\s+/).map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])) };
    case 'LABEL': {
      const [k, ...v] = rest.split('=');
      return { Labels: { [k as string]: v.join('=').replace(/^"|"$/g, '') } };
    }
    case 'STOPSIGNAL':
      return { StopSignal: rest };
    default:
      return { Volumes: { [rest]: {} } };
  }
}

function merge(a: ImageRuntimeConfig, b: ImageRuntimeConfig): ImageRuntimeConfig {
  return { ...a, ...b, Env: [...(a.Env ?? []), ...(b.Env ?? [])], Labels: { ...(a.Labels ?? {}), ...(b.Labels ?? {}) } };
}

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)}GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)}MB`;
  return `${(bytes / 1e3).toFixed(1)}kB`;
}

const SUBCOMMANDS = ['import', 'load', 'save', 'ls', 'list', 'rm', 'remove', 'prune', 'inspect'] as const;

function listImages(records: ImageRecord[], quiet: boolean, io: CommandIO): void {
  if (quiet) {
    io.stdout.write(records.map((r) => `${r.configDigest.slice(7, 19)}\n`).join(''));
    return;
  }
  const rows = records.map((r) => {
    const ref = parseReference(r.reference);
    const name = familiarReference({ ...ref, tag: undefined, digest: undefined });
    return [name, ref.tag ?? '<none>', r.configDigest.slice(7, 19), r.created.slice(0, 19).replace('T', ' '), size(r.size)];
  });
  const header = ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  for (const row of [header, ...rows]) io.stdout.write(`${row.map((c, i) => c.padEnd(widths[i] as number)).join('   ').trimEnd()}\n`);
}

/** `images [-q] [SERVICE...]`: every image, or those the named services run (each service checked). */
export const images: Command = {
  usage: 'tsc-compose images [-q] [SERVICE...]',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, [{ name: 'quiet', short: 'q', type: 'boolean' }]);
    const ref = positionals.length > 0 ? await loadProjectRef(global, io, positionals) : undefined;
    const host = openHost();
    let records = host.images.list();
    if (ref) {
      const wanted = new Set(positionals.map((s) => ref.project.services[s]?.image).flatMap((image) => (image ? [host.images.find(image)?.configDigest] : [])));
      records = records.filter((r) => wanted.has(r.configDigest));
    }
    listImages(records, flag(options, 'quiet'), io);
    return 0;
  },
};

export const command: Command = {
  usage:
    'tsc-compose image import [--change INSTRUCTION]... TARBALL NAME[:TAG] | image load [-i FILE|DIR] [-q] [--platform OS/ARCH] [--name REPO[:TAG]] | image save [-o FILE] IMAGE... | image ls [-q] | image rm REF... | image prune [-a] [-f] | image inspect REF...',
  async run(args, _global, io) {
    // `image` alone lists, as `images` does.
    const verb = subcommandOf('image', args[0] ?? 'ls', SUBCOMMANDS, 'import, load, save, ls, rm, prune or inspect');
    const rest = args.slice(1);
    // Opened on first use: a usage error leaves the host's state alone.
    let opened: Host | undefined;
    const host = (): Host => (opened ??= openHost());
    switch (verb) {
      case 'import': {
        const { options, positionals } = parseOptions(rest, [{ name: 'change', short: 'c', type: 'string', multiple: true }]);
        const [file, reference] = positionals;
        if (!file || !reference) throw new UsageError('usage: tsc-compose image import [--change INSTRUCTION]... TARBALL NAME[:TAG]');
        parseReference(reference);
        let data: Buffer = fs.readFileSync(file === '-' ? 0 : file);
        if (data[0] === 0x1f && data[1] === 0x8b) data = zlib.gunzipSync(data);
        let config: ImageRuntimeConfig = {};
        for (const change of listOption(options, 'change')) config = merge(config, parseChange(change));
        const record = await host().images.importRootfs(data, reference, config);
        io.stdout.write(`${record.configDigest}\n`);
        return 0;
      }
      case 'load': {
        const { options, positionals } = parseOptions(rest, [
          { name: 'input', short: 'i', type: 'string' },
          { name: 'quiet', short: 'q', type: 'boolean' },
          { name: 'platform', type: 'string' },
          { name: 'name', type: 'string' },
        ]);
        if (positionals.length > 0) throw new UsageError('usage: tsc-compose image load [-i FILE|DIR] [-q] [--platform OS/ARCH] [--name REPO[:TAG]]');
        const file = options['input'] as string | undefined;
        let input: LoadInput;
        if (file !== undefined && file !== '-') input = { path: file };
        else {
          if (process.stdin.isTTY) throw new UsageError('requested load from stdin, but stdin is empty: use -i FILE or redirect an archive into stdin');
          input = { stream: process.stdin };
        }
        const quiet = flag(options, 'quiet');
        const loaded = await loadImages(host().images, input, {
          platform: options['platform'] as string | undefined,
          name: options['name'] as string | undefined,
          onProgress: quiet ? undefined : (line) => io.stderr.write(`${line}\n`),
        });
        for (const image of loaded) io.stdout.write(`Loaded image: ${image.reference}\n`);
        return 0;
      }
      case 'save': {
        const { options, positionals } = parseOptions(rest, [{ name: 'output', short: 'o', type: 'string' }]);
        if (positionals.length === 0) throw new UsageError('usage: tsc-compose image save [-o FILE] IMAGE...');
        const file = options['output'] as string | undefined;
        if (file !== undefined && file !== '-') {
          await saveImagesToFile(host().images, positionals, file);
          return 0;
        }
        if ((io.stdout as NodeJS.WriteStream).isTTY) throw new UsageError('cowardly refusing to save to a terminal: use the -o flag or redirect');
        await writeImageArchive(host().images, positionals, io.stdout);
        return 0;
      }
      case 'ls':
      case 'list': {
        const { options, positionals } = parseOptions(rest, [{ name: 'quiet', short: 'q', type: 'boolean' }]);
        if (positionals.length > 0) throw new UsageError(`image ls takes no REPOSITORY filter yet (got "${positionals.join(' ')}"): it lists every image`);
        listImages(host().images.list(), flag(options, 'quiet'), io);
        return 0;
      }
      case 'rm':
      case 'remove': {
        // docker's -f removes an image a container still uses: here a container keeps needing its image's layers, so there is no -f.
        const { positionals } = parseOptions(rest, []);
        if (positionals.length === 0) throw new UsageError('usage: tsc-compose image rm REF...');
        for (const ref of positionals) {
          // A stopped container still needs its image's layers to start again.
          const inUse = host().runtime.list().find((c) => c.image.reference === host().images.get(ref).reference);
          if (inUse) throw new TscComposeError('TSC_IMAGE_IN_USE', `unable to remove image ${ref}: container ${inUse.name} is using it`);
          const removed = host().images.remove(ref);
          io.stdout.write(`Untagged: ${familiarReference(parseReference(removed.reference))}\n`);
        }
        return 0;
      }
      case 'prune': {
        const { options } = parseOptions(rest, [
          { name: 'all', short: 'a', type: 'boolean' },
          { name: 'force', short: 'f', type: 'boolean' },
        ]);
        // Images no container (running or not) uses; without -a only untagged ones, which the store never keeps.
        const question = flag(options, 'all') ? 'WARNING! This will remove all images without at least one container associated to them.' : 'WARNING! This will remove all dangling images.';
        if (!flag(options, 'force') && !(await confirm(`${question}\nAre you sure you want to continue?`, io))) return 0;
        const used = new Set(host().runtime.list().map((c) => c.image.reference));
        let removed = 0;
        if (flag(options, 'all')) {
          for (const r of host().images.list()) {
            if (used.has(r.reference)) continue;
            host().images.remove(r.reference);
            removed++;
          }
        }
        const freed = host().images.collectGarbage(new Set());
        io.stdout.write(`Deleted images: ${removed}, blobs: ${freed.blobs}, snapshots: ${freed.snapshots}\n`);
        return 0;
      }
      case 'inspect': {
        const { positionals } = parseOptions(rest, []);
        if (positionals.length === 0) throw new UsageError('usage: tsc-compose image inspect REF...');
        const out = positionals.map((ref) => {
          const record = host().images.get(ref);
          return { Id: record.configDigest, RepoTags: [familiarReference(parseReference(record.reference))], RepoDigests: [record.manifestDigest], Created: record.created, Size: record.size, Config: host().images.config(record).config ?? {} };
        });
        io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return 0;
      }
      default:
        return unreachable(verb);
    }
  },
};
