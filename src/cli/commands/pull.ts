/** `tsc-compose pull [SERVICE...]`: the services' images, from their registries, into the local store. */
import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import { loadFromCli } from '../load.js';
import { openHost } from '../../engine/host.js';
import { printWarnings } from '../../ui/warnings.js';
import { TscComposeError, UsageError } from '../../errors/index.js';
import { buildDependencyGraph } from '../../graph/dependency-graph.js';
import { registryClientFor } from '../../engine/images.js';
import { loadEngineSettings } from '../../engine/config/load.js';
import { pullImage } from '../../image/pull.js';
import { createPullProgress } from '../pull-progress.js';
import { progressMode, useColor } from '../terminal.js';

export const command: Command = {
  usage: 'tsc-compose pull [-q] [--ignore-pull-failures] [--include-deps] [--policy always|missing] [SERVICE...]',
  async run(args, global, io) {
    const { options, positionals } = parseOptions(args, [
      { name: 'quiet', short: 'q', type: 'boolean' },
      { name: 'ignore-pull-failures', type: 'boolean' },
      { name: 'include-deps', type: 'boolean' },
      { name: 'policy', type: 'string' },
    ]);
    const policy = stringOption(options, 'policy');
    if (policy !== undefined && policy !== 'always' && policy !== 'missing') throw new UsageError(`invalid --policy "${policy}": expected always or missing`);
    const loaded = await loadFromCli(global, { services: positionals });
    printWarnings(loaded.warnings, io.stderr);
    // The engine's settings read as the engine reads them (engine.json, this environment's overrides), so pull and up agree.
    const settings = loadEngineSettings().settings;
    const host = openHost();
    const client = registryClientFor(settings);
    const quiet = flag(options, 'quiet');
    const missingOnly = policy === 'missing';
    const progress = createPullProgress(io.stderr, {
      mode: progressMode(global, io.stderr as NodeJS.WriteStream),
      quiet,
      color: useColor(global, io.stderr as NodeJS.WriteStream),
    });
    let failures = 0;
    let failure: Error | undefined;
    try {
      // --include-deps: what the named services depend on too (all services are pulled when none is named).
      const named = flag(options, 'include-deps') ? buildDependencyGraph(loaded.project).withDependencies(positionals) : positionals;
      const names = positionals.length > 0 ? named : Object.keys(loaded.project.services).sort();
      for (const name of names) {
        const svc = loaded.project.services[name];
        if (!svc?.image) continue; // build-only services have nothing to pull
        if (svc.pull_policy === 'never' || svc.pull_policy === 'build') continue;
        if (missingOnly && host.images.find(svc.image)) continue;
        try {
          await pullImage(host.images, client, svc.image, {
            platform: svc.platform,
            onEvent: (e) => progress.onEvent(e),
          });
        } catch (err) {
          failures++;
          if (!flag(options, 'ignore-pull-failures')) {
            failure = err as Error;
            throw err;
          }
          io.stderr.write(`${name}: ${err instanceof TscComposeError ? err.format() : String(err)}\n`);
        }
      }
    } finally {
      progress.done(failure);
      await client.close();
    }
    return failures > 0 && !flag(options, 'ignore-pull-failures') ? 1 : 0;
  },
};
