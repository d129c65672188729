/** Commands made of subcommands (`image`, `volume`, `network`): the subcommand is checked before anything is opened or started. */
import { UsageError } from '../errors/index.js';

/** `sub` as one of `known`, or a usage error naming what is expected. */
export function subcommandOf<T extends string>(command: string, sub: string | undefined, known: readonly T[], expected: string): T {
  if (sub === undefined) throw new UsageError(`${command} needs a command: expected ${expected}`);
  if (!(known as readonly string[]).includes(sub)) throw new UsageError(`unknown ${command} command "${sub}": expected ${expected}`);
  return sub as T;
}
