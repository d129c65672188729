import type { Command } from '../main.js';
import { VERSION } from '../version.js';

export const command: Command = {
  summary: 'Show the tsc-compose version information',
  usage: 'tsc-compose version [--short]',
  async run(args, _global, io) {
    io.stdout.write(args.includes('--short') ? `${VERSION}\n` : `tsc-compose version ${VERSION}\n`);
    return 0;
  },
};
