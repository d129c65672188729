import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import { UsageError } from '../../errors/index.js';
import { VERSION } from '../../util/version.js';

export const command: Command = {
  usage: 'tsc-compose version [--short] [-f/--format pretty|json]',
  run(args, _global, io) {
    const { options, positionals } = parseOptions(args, [
      { name: 'short', type: 'boolean' },
      { name: 'format', short: 'f', type: 'string' },
    ]);
    if (positionals.length > 0) throw new UsageError(`version takes no arguments (got "${positionals.join(' ')}")`);
    const format = stringOption(options, 'format') ?? 'pretty';
    if (format !== 'pretty' && format !== 'json') throw new UsageError(`invalid --format "${format}": expected pretty or json`);
    if (flag(options, 'short')) io.stdout.write(`${VERSION}\n`);
    else if (format === 'json') io.stdout.write(`${JSON.stringify({ version: VERSION })}\n`);
    else io.stdout.write(`tsc-compose version ${VERSION}\n`);
    return Promise.resolve(0);
  },
};
