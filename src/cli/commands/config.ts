/** `tsc-compose config`: the normalized project, or parts of it, as docker compose prints them. */
import * as fs from 'node:fs';
import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import { loadFromCli } from '../load.js';
import { UsageError } from '../../errors/index.js';
import { printWarnings } from '../../ui/warnings.js';
import { renderProject } from '../../compose/render.js';
import { listProfiles } from '../../compose/profiles.js';

const OPTIONS = [
  { name: 'format', type: 'string' as const },
  { name: 'services', type: 'boolean' as const },
  { name: 'volumes', type: 'boolean' as const },
  { name: 'networks', type: 'boolean' as const },
  { name: 'profiles', type: 'boolean' as const },
  { name: 'images', type: 'boolean' as const },
  { name: 'quiet', short: 'q', type: 'boolean' as const },
  { name: 'no-interpolate', type: 'boolean' as const },
  { name: 'no-consistency', type: 'boolean' as const },
  { name: 'environment', type: 'boolean' as const },
  { name: 'output', short: 'o', type: 'string' as const },
];

export const command: Command = {
  usage:
    'tsc-compose config [OPTIONS] [SERVICE...]\n  --format yaml|json, --services, --volumes, --networks, --profiles, --images, -q/--quiet, --no-interpolate, --no-consistency, --environment, -o/--output FILE',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, OPTIONS);
    const format = stringOption(options, 'format') ?? 'yaml';
    if (format !== 'yaml' && format !== 'json') throw new UsageError(`unsupported format "${format}": expected yaml or json`);

    const listingProfiles = flag(options, 'profiles');
    const result = await loadFromCli(
      // --profiles lists every profile, so every service must stay in.
      listingProfiles ? { ...global, profiles: ['*'] } : global,
      {
        skipInterpolation: flag(options, 'no-interpolate'),
        skipConsistency: flag(options, 'no-consistency'),
        services: positionals,
      },
    );
    printWarnings(result.warnings, io.stderr);
    if (flag(options, 'quiet')) return 0;

    const project = result.project as unknown as {
      name: string;
      services: Record<string, { image?: string; build?: unknown; container_name?: string }>;
      networks?: Record<string, unknown>;
      volumes?: Record<string, unknown>;
    };
    let out: string;
    if (flag(options, 'services')) {
      const names = positionals.length > 0 ? positionals : Object.keys(project.services).sort();
      out = lines(names);
    } else if (flag(options, 'volumes')) {
      out = lines(Object.keys(project.volumes ?? {}));
    } else if (flag(options, 'networks')) {
      out = lines(Object.keys(project.networks ?? {}));
    } else if (listingProfiles) {
      out = lines(listProfiles(project.services));
    } else if (flag(options, 'images')) {
      out = lines(Object.keys(project.services).sort().map((name) => project.services[name]?.image ?? `${project.name}-${name}`));
    } else if (flag(options, 'environment')) {
      out = lines([...result.options.environment].map(([k, v]) => `${k}=${v}`).sort());
    } else {
      out = renderProject(result.project, format);
    }
    const target = stringOption(options, 'output');
    if (target) fs.writeFileSync(target, out);
    else io.stdout.write(out);
    return 0;
  },
};

function lines(items: string[]): string {
  return items.length === 0 ? '' : `${items.join('\n')}\n`;
}
