/** The one errno table: number ↔ name, from the platform Node runs on. */
import * as os from 'node:os';

const NAMES = new Map<number, string>(Object.entries(os.constants.errno).map(([name, num]) => [num, name]));

export const ERRNO = os.constants.errno;

/** `ENOENT` for 2; `errno 999` for a number this platform does not name. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}
