/**
 * A layer file unpacked on a worker thread. Unpacking is mostly system calls
 * made synchronously (one create, write and close per file), so on the main
 * thread two layers of one pull take turns and the engine's event loop stalls;
 * on workers they use the machine's cores side by side. Errors come back with
 * their code, category and message (and the offending entry for a malicious
 * layer), as the in-thread unpack throws them.
 */
import * as fs from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { TscComposeError, isErrorCode } from '../../errors/index.js';
import type { ErrorCategory } from '../../errors/index.js';
import { MaliciousLayerError, unpackLayer } from './unpack-layer.js';
import type { UnpackOptions, UnpackResult } from './unpack-layer.js';

interface Job {
  kind: 'tsc-compose-unpack';
  file: string;
  dest: string;
  options: UnpackOptions;
}

interface SerializedFailure {
  name: string;
  code?: string;
  category?: ErrorCategory;
  message: string;
  entry?: string;
  /** For a system error (ENOSPC, EACCES, ...). */
  syscall?: string;
  path?: string;
  errno?: number;
}

type Reply = { ok: UnpackResult } | { failed: SerializedFailure };

function revive(f: SerializedFailure): Error {
  if (f.category === undefined) {
    // A system error keeps what makes it one (code, syscall, path), so callers can tell a full disk from a bug.
    return Object.assign(new Error(f.message), { code: f.code, syscall: f.syscall, path: f.path, errno: f.errno });
  }
  if (f.code === undefined || !isErrorCode(f.code)) return new Error(f.message);
  const err = new TscComposeError(f.code, f.message);
  if (f.name === 'MaliciousLayerError') {
    Object.setPrototypeOf(err, MaliciousLayerError.prototype);
    err.name = 'MaliciousLayerError';
    Object.defineProperty(err, 'entry', { value: f.entry ?? '', enumerable: true });
  }
  return err;
}

export function unpackLayerFile(file: string, dest: string, options: UnpackOptions): Promise<UnpackResult> {
  const job: Job = { kind: 'tsc-compose-unpack', file, dest, options };
  let worker: Worker;
  try {
    worker = new Worker(new URL(import.meta.url), { workerData: job });
  } catch {
    // No worker available (resource limits): the same unpack, in this thread.
    return unpackLayer(fs.createReadStream(file), dest, options);
  }
  return new Promise<UnpackResult>((resolve, reject) => {
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if ('ok' in reply) resolve(reply.ok);
      else reject(revive(reply.failed));
    });
    worker.once('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new TscComposeError('TSC_IMAGE_UNPACK_WORKER', `${options.context}: the unpack worker exited with code ${code}`));
      settled = true;
    });
  });
}

if (!isMainThread && parentPort && (workerData as Job | undefined)?.kind === 'tsc-compose-unpack') {
  const job = workerData as Job;
  const port = parentPort;
  unpackLayer(fs.createReadStream(job.file), job.dest, job.options).then(
    (ok) => port.postMessage({ ok } satisfies Reply),
    (err: unknown) => {
      const e = err as Partial<TscComposeError> & { entry?: string; syscall?: string; path?: string; errno?: number };
      port.postMessage({
        failed: { name: e.name ?? 'Error', code: e.code, category: e.category, message: e.message ?? String(err), entry: e.entry, syscall: e.syscall, path: e.path, errno: e.errno },
      } satisfies Reply);
    },
  );
}
