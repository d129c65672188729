/**
 * The engine's HTTP API on a unix socket (root only: the socket is 0600 in a
 * 0700 directory). JSON in, JSON or newline-delimited JSON streams out.
 */
import * as http from 'node:http';
import * as fs from 'node:fs';
import type { Engine } from '../engine.js';
import type { ActionRequest, DownOptions, EngineEvent, LogsQuery, ProjectRef, StreamMessage, UpOptions } from '../api/protocol.js';
import { serializeError } from '../api/protocol.js';
import { streamLogs } from './logs-stream.js';
import { containerStats } from './stats.js';
import type { ReloadResult } from '../config/holder.js';
import type { SettingsReport } from '../config/load.js';

export interface ServerContext {
  engine: Engine;
  startedAt: string;
  version: string;
  stop: () => void;
  /** The settings in force and where each came from; `reload` reads engine.json again (throws, changing nothing, when it is bad). */
  settings: { report(): SettingsReport; reload(): ReloadResult };
}

async function readBody<T>(req: http.IncomingMessage): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return (text ? JSON.parse(text) : {}) as T;
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Resolves once the client has taken what was written (at once when nothing
 * waits), or when it is gone: a producer that awaits this between messages
 * goes at the client's pace, so a slow reader never fills the engine's memory.
 */
export type Drained = () => Promise<void>;

/** Runs `work` with an emitter that writes NDJSON lines; ends with a result or an error message. */
async function stream(res: http.ServerResponse, work: (emit: (m: StreamMessage) => void, signal: AbortSignal, drained: Drained) => Promise<unknown>): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  const emit = (m: StreamMessage): void => {
    if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(m)}\n`);
  };
  const drained: Drained = () =>
    !res.writableNeedDrain || res.destroyed
      ? Promise.resolve()
      : new Promise((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
  try {
    const value = await work(emit, controller.signal, drained);
    emit({ type: 'result', value: value ?? null });
  } catch (err) {
    emit({ type: 'error', error: serializeError(err) });
  }
  res.end();
}

export function createApiServer(ctx: ServerContext): http.Server {
  const { engine } = ctx;
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const q = url.searchParams;
    const route = `${req.method} ${url.pathname}`;
    const handle = async (): Promise<void> => {
      switch (route) {
        case 'GET /v1/info':
          return sendJson(res, 200, { version: ctx.version, pid: process.pid, startedAt: ctx.startedAt, rss: process.memoryUsage().rss, containers: engine.store.containers.list().length, settings: ctx.settings.report() });
        case 'POST /v1/engine/reload':
          return sendJson(res, 200, ctx.settings.reload());
        case 'POST /v1/up': {
          const body = await readBody<{ ref: ProjectRef; options: UpOptions }>(req);
          return stream(res, (emit) => engine.up(body.ref, body.options, emit));
        }
        case 'POST /v1/down': {
          const body = await readBody<{ projectName: string; ref?: ProjectRef; options: DownOptions }>(req);
          return stream(res, (emit) => engine.down(body.projectName, body.ref, body.options, emit));
        }
        case 'POST /v1/action': {
          const body = await readBody<ActionRequest>(req);
          return stream(res, (emit) => engine.action(body, emit));
        }
        case 'POST /v1/run': {
          const body = await readBody<Parameters<Engine['createOneOff']>[0]>(req);
          return stream(res, (emit) => engine.createOneOff(body, emit));
        }
        case 'POST /v1/adopt': {
          const body = await readBody<{ id: string }>(req);
          engine.adoptStarted(body.id);
          return sendJson(res, 200, {});
        }
        case 'GET /v1/ps':
          return sendJson(res, 200, engine.ps(q.get('project') ?? undefined, q.get('all') === '1'));
        case 'GET /v1/projects':
          return sendJson(res, 200, engine.projects(q.get('all') === '1'));
        case 'GET /v1/container': {
          const record = engine.findContainer(q.get('project') ?? '', q.get('service') ?? '', q.has('index') ? Number(q.get('index')) : undefined);
          return sendJson(res, 200, record);
        }
        case 'GET /v1/networks':
          return sendJson(res, 200, engine.networks());
        case 'POST /v1/networks/prune':
          return sendJson(res, 200, await engine.pruneNetworks());
        case 'GET /v1/stats':
          return sendJson(res, 200, await containerStats(engine, q.get('project') ?? undefined));
        case 'GET /v1/logs': {
          const query: LogsQuery = {
            project: q.get('project') ?? '',
            services: q.getAll('service'),
            follow: q.get('follow') === '1',
            tail: q.has('tail') ? Number(q.get('tail')) : undefined,
            since: q.get('since') ?? undefined,
            until: q.get('until') ?? undefined,
            containers: q.getAll('container'),
          };
          return stream(res, (emit, signal, drained) => streamLogs(engine, query, emit, signal, drained));
        }
        case 'GET /v1/events': {
          const project = q.get('project');
          const services = q.getAll('service');
          return stream(res, (emit, signal) =>
            new Promise<void>((resolve) => {
              const listener = (e: EngineEvent): void => {
                if (project && e.project !== project) return;
                if (services.length > 0 && !services.includes(e.service)) return;
                emit({ type: 'event', event: e });
              };
              engine.bus.on('event', listener);
              emit({ type: 'ready' });
              signal.addEventListener('abort', () => {
                engine.bus.off('event', listener);
                resolve();
              });
            }),
          );
        }
        case 'POST /v1/engine/stop':
          sendJson(res, 200, { stopping: true });
          ctx.stop();
          return;
        default:
          return sendJson(res, 404, { error: { code: 'TSC_API_NOT_FOUND', category: 'not-found', message: `no route ${route}` } });
      }
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: serializeError(err) });
      else res.end();
    });
  });
}

export function listenOnSocket(server: http.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const previous = process.umask(0o177);
    server.listen(socketPath, () => {
      process.umask(previous);
      fs.chmodSync(socketPath, 0o600);
      server.off('error', reject);
      resolve();
    });
  });
}
