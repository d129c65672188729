/** The `default` of a switch that covers every case: reaching it is a bug. */
import { InternalError } from '../errors/index.js';

export function unreachable(value: never): never {
  throw new InternalError(`unexpected case ${JSON.stringify(value)}`);
}
