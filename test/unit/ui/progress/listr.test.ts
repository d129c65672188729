import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListrProgress } from '../../../../src/ui/progress/listr.js';
import { created, creating, healthy, progressEvent, started, starting, waiting } from '../../../../src/events/progress.js';
import { Writable } from 'node:stream';

/** A terminal that keeps everything written to it (listr2's escapes included). */
class Recorder extends Writable {
  readonly isTTY = true;
  raw = '';
  constructor(
    public columns = 100,
    public rows = 30,
  ) {
    super({ decodeStrings: false });
  }
  override _write(chunk: unknown, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.raw += String(chunk);
    cb();
  }
}

 
const plain = (text: string): string => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** What listr2 printed last: its final frame is written after the live frames are erased. */
function lastFrame(term: Recorder, rows: number): string[] {
  return plain(term.raw).replace(/\r/g, '').split('\n').filter((l) => l.trim() !== '').slice(-rows);
}

/** The same, as one line: listr2 wraps long rows at the terminal's width. */
const lastText = (term: Recorder, rows: number): string => lastFrame(term, rows).join(' ').replace(/\s+/g, ' ');

test('listr: one row per resource in its final state, on the given stream, nothing on stdout', async () => {
  const term = new Recorder();
  const written: string[] = [];
  const realWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const p = new ListrProgress(term, { color: false });
    p.start('Running');
    p.on(creating('Network demo_default'));
    p.on(creating('Container demo-db-1'), creating('Container demo-web-1'));
    p.on(created('Network demo_default'));
    p.on(created('Container demo-db-1'), created('Container demo-web-1'));
    p.on(starting('Container demo-db-1'), waiting('Container demo-web-1', { details: 'waiting for db (service_healthy)' }));
    await sleep(250);
    const mid = plain(term.raw);
    assert.match(mid, /Container demo-web-1 Waiting waiting for db \(service_healthy\)/);
    p.on(healthy('Container demo-db-1'));
    p.on(started('Container demo-web-1'));
    p.on(progressEvent('Container demo-bad-1', 'error', 'Error', { details: 'Bind for 127.0.0.1:8080/tcp failed: port is already allocated' }));
    p.done();
    await p.settled();
  } finally {
    process.stdout.write = realWrite;
  }
  assert.deepEqual(written.filter((w) => w.includes('demo')), [], 'listr2 wrote nothing on stdout');
  const frame = lastText(term, 8);
  assert.match(frame, /✔ Network demo_default Created/);
  assert.match(frame, /✔ Container demo-db-1 Healthy/);
  assert.match(frame, /✔ Container demo-web-1 Started/);
  assert.match(frame, /✖ Container demo-bad-1 Error Bind for 127\.0\.0\.1:8080\/tcp failed: port is already allocated/);
  assert.equal((frame.match(/Container demo-db-1/g) ?? []).length, 1, 'one row per container, not one per status');
});

test('listr: a resource that goes on after a final status stays one row (Stopped, then Removing, Removed)', async () => {
  const term = new Recorder();
  const p = new ListrProgress(term, { color: false });
  p.start('Running');
  p.on(progressEvent('Container demo-web-1', 'working', 'Stopping'));
  p.on(progressEvent('Container demo-web-1', 'done', 'Stopped'));
  p.on(progressEvent('Container demo-web-1', 'working', 'Removing'));
  await sleep(200);
  p.on(progressEvent('Container demo-web-1', 'done', 'Removed'));
  p.done();
  await p.settled();
  const frame = lastText(term, 3);
  assert.match(frame, /✔ Container demo-web-1 Removed/);
  assert.doesNotMatch(frame, /Stopped/);
});

test('listr: layers are lines under their image with bytes and speed while it pulls', async () => {
  const term = new Recorder();
  const p = new ListrProgress(term, { color: false });
  p.start('Pulling');
  const t0 = Date.now();
  p.on(progressEvent('Image postgres', 'working', 'Pulling'));
  await sleep(20);
  p.on(progressEvent('3451b2ea9624', 'working', 'Downloading', { parentId: 'Image postgres', current: 0, total: 47_000_000, time: t0 }));
  p.on(progressEvent('3451b2ea9624', 'working', 'Downloading', { parentId: 'Image postgres', current: 12_000_000, total: 47_000_000, time: t0 + 1000 }));
  await sleep(250);
  const live = plain(term.raw);
  assert.match(live, /Image postgres Pulling/);
  assert.match(live, /3451b2ea9624 Downloading 12MB \/ 47MB 12MB\/s/);
  p.on(progressEvent('3451b2ea9624', 'done', 'Pull complete', { parentId: 'Image postgres' }));
  p.on(progressEvent('Image postgres', 'done', 'Pulled'));
  p.done();
  await p.settled();
  assert.match(lastText(term, 2), /✔ Image postgres Pulled/);
});
