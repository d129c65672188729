/** What a CLI command is (the table of them is command-table.ts). */
import type { GlobalOptions } from './global-options.js';

export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface Command {
  usage: string;
  run(args: string[], global: GlobalOptions, io: CommandIO): Promise<number>;
}
