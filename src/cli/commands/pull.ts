/** `tsc-compose pull [SERVICE...]`: the services' images, from their registries, into the local store. */
import type { Command } from '../main.js';
import { flag, parseOptions } from '../args.js';
import { loadFromCli } from '../load.js';
import { openHost } from '../host.js';
import { printWarnings } from './config.js';
import { TscComposeError } from '../../errors/index.js';
import { registryClientFromEnv } from '../../engine/images.js';
import { pullImage } from '../../image/pull.js';
import type { PullEvent } from '../../image/pull.js';

function describeEvent(e: PullEvent): string | undefined {
  if (e.status === 'resolved') return `${e.reference}: resolved`;
  if (e.status === 'complete') return `${e.reference}: pulled`;
  if (!e.layer) return undefined;
  if (e.status === 'downloading') return undefined; // one line per layer event, not per chunk
  const size = e.total !== undefined ? ` (${(e.total / 1e6).toFixed(1)} MB)` : '';
  return `${e.reference}: layer ${e.layer} ${e.status}${size}`;
}

export const command: Command = {
  summary: 'Pull service images',
  usage: 'tsc-compose pull [--quiet] [--ignore-pull-failures] [--policy always|missing] [SERVICE...]',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, [
      { name: 'quiet', short: 'q', type: 'boolean' },
      { name: 'ignore-pull-failures', type: 'boolean' },
      { name: 'include-deps', type: 'boolean' },
      { name: 'policy', type: 'string' },
    ]);
    const loaded = loadFromCli(global, { services: positionals });
    printWarnings(loaded.warnings, io.stderr);
    const host = openHost();
    const client = registryClientFromEnv();
    const quiet = flag(options, 'quiet');
    const missingOnly = options['policy'] === 'missing';
    let failures = 0;
    try {
      const names = positionals.length > 0 ? positionals : Object.keys(loaded.project.services).sort();
      for (const name of names) {
        const svc = loaded.project.services[name];
        if (!svc?.image) continue; // build-only services have nothing to pull
        if (svc.pull_policy === 'never' || svc.pull_policy === 'build') continue;
        if (missingOnly && host.images.find(svc.image)) continue;
        try {
          await pullImage(host.images, client, svc.image, {
            platform: svc.platform,
            onEvent: (e) => {
              if (quiet) return;
              const line = describeEvent(e);
              if (line) io.stderr.write(`${line}\n`);
            },
          });
        } catch (err) {
          failures++;
          if (!flag(options, 'ignore-pull-failures')) throw err;
          io.stderr.write(`${name}: ${err instanceof TscComposeError ? err.format() : String(err)}\n`);
        }
      }
    } finally {
      await client.close();
    }
    return failures > 0 && !flag(options, 'ignore-pull-failures') ? 1 : 0;
  },
};
