import type { Command } from '../command.js';
import { VERSION } from '../../util/version.js';

export const command: Command = {
  usage: 'tsc-compose version [--short]',
  async run(args, _global, io) {
    io.stdout.write(args.includes('--short') ? `${VERSION}\n` : `tsc-compose version ${VERSION}\n`);
    return 0;
  },
};
