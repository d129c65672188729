/**
 * The CLI's side of the engine API: undici over the unix socket. The engine
 * is started on first use (detached, in its own session, logging to its log
 * file), so there is no daemon step for the user.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'undici';
import { lightPool } from '../util/undici-pool.js';
import { TscComposeError } from '../errors/index.js';
import { stateLayout, stateRoots, ensureStateLayout } from '../state/roots.js';
import { enginePaths } from '../engine/daemon/paths.js';
import type { EnginePaths } from '../engine/daemon/paths.js';
import type { SerializedError, StreamMessage } from '../engine/api/protocol.js';
import { deserializeError } from '../engine/api/protocol.js';
import { overridesIn } from '../engine/config/environment.js';
import type { SettingsReport } from '../engine/config/load.js';
import { readStartFailure } from '../engine/config/start-failure.js';
import { formatWarning } from '../ui/warnings.js';

const ENGINE_ENTRY = fileURLToPath(new URL('../engine/daemon/main.js', import.meta.url));

/** How a connection to the engine fails when the engine is gone: closed under a request (undici), refused, reset, socket removed. */
const CONNECTION_LOST = new Set(['UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNRESET', 'ECONNREFUSED', 'ENOENT', 'EPIPE']);

/** GET /v1/info. */
export interface EngineInfo {
  version: string;
  pid: number;
  startedAt: string;
  rss: number;
  containers: number;
  settings?: SettingsReport | undefined;
}

export class EngineClient {
  /** What the engine said when this client first reached it. */
  info: EngineInfo | undefined;

  private constructor(
    private readonly client: Pool,
    readonly paths: EnginePaths,
  ) {}

  static pathsFromEnv(): EnginePaths {
    return enginePaths(stateLayout(stateRoots()));
  }

  /**
   * Connects, starting the engine first when none answers (unless `autoStart`
   * is false). An engine that was already running and lacks settings this
   * environment's override variables ask for gets a warning on `stderr`
   * (unless `settingsWarnings` is false).
   */
  static async connect(opts: { autoStart?: boolean; settingsWarnings?: boolean; stderr?: NodeJS.WritableStream } = {}): Promise<EngineClient> {
    if (process.getuid?.() !== 0) {
      throw new TscComposeError('TSC_NOT_ROOT', 'tsc-compose runs containers as root (rootless mode is not supported yet): run it with sudo');
    }
    const paths = EngineClient.pathsFromEnv();
    const client = new EngineClient(new (lightPool())('http://engine', { socketPath: paths.socket, bodyTimeout: 0, headersTimeout: 0, connections: 16 }), paths);
    if (await client.ping()) {
      if (opts.settingsWarnings !== false) await client.warnAboutSettings(opts.stderr ?? process.stderr);
      return client;
    }
    if (opts.autoStart === false) {
      await client.close();
      throw new TscComposeError('TSC_ENGINE_DOWN', 'the tsc-compose engine is not running');
    }
    await client.close();
    const engine = startEngine(paths);
    const started = new EngineClient(new (lightPool())('http://engine', { socketPath: paths.socket, bodyTimeout: 0, headersTimeout: 0, connections: 16 }), paths);
    for (let i = 0; i < 1000; i++) {
      if (await started.ping()) return started;
      // An engine that exited is not coming (unless another CLI's engine won the race to the socket).
      if (engine.exited() && !(await started.ping())) {
        await started.close();
        throw startFailure(paths, engine.spawnedAt);
      }
      await sleep(10);
    }
    await started.close();
    throw new TscComposeError('TSC_ENGINE_START', `the engine did not start; see ${paths.log}`);
  }

  async ping(): Promise<boolean> {
    try {
      const res = await this.client.request({ method: 'GET', path: '/v1/info' });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return false;
      }
      this.info = (await res.body.json()) as EngineInfo;
      return true;
    } catch {
      return false;
    }
  }

  /** One line per override variable set here that the running engine's settings do not match. */
  async warnAboutSettings(stderr: NodeJS.WritableStream, report: SettingsReport | undefined = this.info?.settings): Promise<void> {
    if (!report || overridesIn(process.env).length === 0) return;
    const { settingsMismatches } = await import('../engine/config/mismatch.js');
    for (const message of settingsMismatches(process.env, report)) stderr.write(formatWarning(message));
  }

  async json<T>(method: 'GET' | 'POST', urlPath: string, body?: unknown): Promise<T> {
    try {
      const res = await this.client.request({
        method,
        path: urlPath,
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      });
      const value = (await res.body.json()) as T & { error?: SerializedError };
      if (res.statusCode >= 400) throw deserializeError(value.error ?? { code: 'TSC_API', category: 'internal', message: `engine answered ${res.statusCode}` });
      return value;
    } catch (err) {
      throw this.connectionLost(err);
    }
  }

  /**
   * A streamed operation: yields every message; throws the engine's error at the end if it failed.
   * A stream that ends without its closing `result` or `error` was cut: the engine went away.
   */
  async *stream(method: 'GET' | 'POST', urlPath: string, body?: unknown, signal?: AbortSignal): AsyncGenerator<StreamMessage> {
    let buffer = '';
    let finished = false;
    try {
      const res = await this.client.request({
        method,
        path: urlPath,
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
        ...(signal ? { signal } : {}),
      });
      if (res.statusCode >= 400) {
        const value = (await res.body.json()) as { error?: SerializedError };
        throw deserializeError(value.error ?? { code: 'TSC_API', category: 'internal', message: `engine answered ${res.statusCode}` });
      }
      for await (const chunk of res.body) {
        buffer += (chunk as Buffer).toString('utf8');
        let i: number;
        while ((i = buffer.indexOf('\n')) !== -1) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          if (!line) continue;
          const message = JSON.parse(line) as StreamMessage;
          if (message.type === 'error') throw deserializeError(message.error);
          if (message.type === 'result') finished = true;
          yield message;
        }
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw this.connectionLost(err);
    }
    if (!finished && !signal?.aborted) throw this.engineGone();
  }

  /**
   * The engine stopped answering in the middle of a command (killed, crashed,
   * stopped): one message for every request and stream, with where its log is.
   * The engine's operations converge, so running the command again finishes it.
   */
  private connectionLost(err: unknown): unknown {
    if (err instanceof TscComposeError) return err;
    const code = (err as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' && CONNECTION_LOST.has(code) ? this.engineGone(err) : err;
  }

  private engineGone(cause?: unknown): TscComposeError {
    return new TscComposeError(
      'TSC_ENGINE_GONE',
      `the tsc-compose engine stopped while this command was running (its log: ${this.paths.log}); run the command again: a new engine is started and the command continues from where it stopped`,
      cause === undefined ? {} : { cause },
    );
  }

  async close(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }
}

function startEngine(paths: EnginePaths): { exited: () => boolean; spawnedAt: number } {
  ensureStateLayout(stateLayout(stateRoots()));
  fs.mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  const out = fs.openSync(paths.log, 'a');
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [ENGINE_ENTRY], { detached: true, stdio: ['ignore', out, out], cwd: '/' });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.unref();
  fs.closeSync(out);
  if (!fs.existsSync(path.dirname(paths.socket))) fs.mkdirSync(path.dirname(paths.socket), { recursive: true, mode: 0o700 });
  return { exited: () => exited, spawnedAt };
}

/** Why the engine this CLI started exited: what it recorded (a bad engine.json, usually), else its log. */
function startFailure(paths: EnginePaths, spawnedAt: number): TscComposeError {
  const failure = readStartFailure(paths.dataDir);
  // The record's clock is the engine's, a moment after the spawn; an older record is a previous start's.
  if (failure && Date.parse(failure.at) >= spawnedAt - 1000) {
    return new TscComposeError('TSC_ENGINE_START', ['the engine did not start:', ...failure.lines].join('\n'));
  }
  return new TscComposeError('TSC_ENGINE_START', `the engine exited while starting; see ${paths.log}`);
}
