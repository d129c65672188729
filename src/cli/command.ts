/** What a CLI command is (the table of them is command-table.ts). */
import type { GlobalOptions } from './global-options.js';
import type { OptionSpec } from './args.js';

export interface CommandIO {
  /** Answers to the questions of prompt.ts (and a container's input, for run and exec). */
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface Command {
  usage: string;
  /**
   * For a command whose arguments after the first positional belong to a
   * container's command (`run`, `exec`): its options. `--help` there is the
   * container command's, not a request for this command's usage.
   */
  passThrough?: readonly OptionSpec[];
  run(args: string[], global: GlobalOptions, io: CommandIO): Promise<number>;
}
