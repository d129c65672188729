/**
 * The engine going away under a request or a stream: a stand-in engine on a
 * unix socket (it answers /v1/info, so the client connects without starting
 * a real one) drops the connection in the middle; the client reports
 * TSC_ENGINE_GONE with the log's path, whatever the request was.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineClient } from '../../../src/cli/engine-client.js';
import { TscComposeError, exitCodeFor } from '../../../src/errors/index.js';

const asRoot = process.getuid?.() === 0;

describe('engine client: the engine stops in the middle of a command', { skip: asRoot ? false : 'EngineClient.connect needs root' }, () => {
  let root: string;
  let server: http.Server;
  let client: EngineClient;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-engine-client-'));
    process.env['TSC_COMPOSE_ROOT'] = root;
    const paths = EngineClient.pathsFromEnv();
    fs.mkdirSync(path.dirname(paths.socket), { recursive: true });
    server = http.createServer((req, res) => {
      switch (req.url ?? '') {
        case '/v1/info':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{}');
          return;
        case '/v1/cut-stream':
          // One message, then the process is gone: the socket closes with the chunked body unfinished.
          res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          res.write(`${JSON.stringify({ type: 'progress', event: { id: 'Container demo-web-1', status: 'working', text: 'Stopping', time: 0 } })}\n`, () => req.socket.destroy());
          return;
        case '/v1/clean-end':
          // A stream closed properly but without its result line.
          res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          res.end(`${JSON.stringify({ type: 'warning', message: 'w' })}\n`);
          return;
        case '/v1/finished':
          res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          res.end(`${JSON.stringify({ type: 'result', value: 7 })}\n`);
          return;
        default:
          req.socket.destroy();
      }
    });
    await new Promise<void>((resolve) => server.listen(paths.socket, resolve));
    client = await EngineClient.connect({ autoStart: false });
  });

  after(async () => {
    await client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(root, { recursive: true, force: true });
  });

  const assertGone = (err: unknown): boolean => {
    assert.ok(err instanceof TscComposeError, String(err));
    assert.equal(err.code, 'TSC_ENGINE_GONE');
    assert.equal(err.category, 'unavailable');
    assert.equal(exitCodeFor(err), 1);
    assert.ok(err.message.includes(path.join(root, 'engine', 'engine.log')), err.message);
    assert.match(err.message, /engine stopped/);
    assert.match(err.message, /run the command again/);
    return true;
  };

  it('a request whose connection is closed', async () => {
    await assert.rejects(client.json('GET', '/v1/ps'), assertGone);
  });

  it('a stream cut after its first message: the message is delivered, then the error', async () => {
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const m of client.stream('POST', '/v1/cut-stream', {})) seen.push(m.type);
      })(),
      assertGone,
    );
    assert.deepEqual(seen, ['progress']);
  });

  it('a stream that ends without its result', async () => {
    await assert.rejects(
      (async () => {
        for await (const m of client.stream('GET', '/v1/clean-end')) void m;
      })(),
      assertGone,
    );
  });

  it('a finished stream and an aborted one are not errors', async () => {
    const values: unknown[] = [];
    for await (const m of client.stream('GET', '/v1/finished')) if (m.type === 'result') values.push(m.value);
    assert.deepEqual(values, [7]);
    const controller = new AbortController();
    controller.abort();
    for await (const m of client.stream('GET', '/v1/cut-stream', undefined, controller.signal)) void m;
  });

  it('once the socket is gone, the next request says the same', async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(EngineClient.pathsFromEnv().socket, { force: true });
    await assert.rejects(client.json('GET', '/v1/info'), assertGone);
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(root, 'unused.sock'), resolve));
  });
});
