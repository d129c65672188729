/**
 * undici's Pool without undici's index: the index loads every part of undici
 * (fetch, websockets, caches, mocks), about 200 ms of a CLI command that only
 * talks to the engine's socket. Pool plus the request API is what the CLI uses;
 * the API methods are attached to Dispatcher's prototype exactly as the index
 * does it, so a later full `import 'undici'` sees the same, compatible classes.
 */
import { createRequire } from 'node:module';
import type { Pool as UndiciPool } from 'undici';

const require = createRequire(import.meta.url);

type PoolClass = typeof UndiciPool;

let poolClass: PoolClass | undefined;

export function lightPool(): PoolClass {
  if (poolClass) return poolClass;
  const dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: Record<string, unknown> };
  const api = require('undici/lib/api/index.js') as Record<string, unknown>;
  for (const [name, fn] of Object.entries(api)) {
    if (!(name in dispatcher.prototype)) dispatcher.prototype[name] = fn;
  }
  poolClass = require('undici/lib/dispatcher/pool.js') as PoolClass;
  return poolClass;
}
