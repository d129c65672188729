import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PlainPullRenderer, createPullProgress, toProgressEvent } from '../../../src/cli/pull-progress.js';
import type { PullEvent } from '../../../src/image/pull.js';

const ref = 'busybox:1';
const events: PullEvent[] = [
  { reference: ref, status: 'resolved' },
  { reference: ref, layer: 'aaaaaaaaaaaa', status: 'waiting', current: 0, total: 2_000_000 },
  { reference: ref, layer: 'bbbbbbbbbbbb', status: 'waiting', current: 0, total: 500 },
  { reference: ref, layer: 'bbbbbbbbbbbb', status: 'exists', current: 500, total: 500 },
  { reference: ref, layer: 'aaaaaaaaaaaa', status: 'downloading', current: 65_536, total: 2_000_000 },
  { reference: ref, layer: 'aaaaaaaaaaaa', status: 'downloading', current: 1_000_000, total: 2_000_000 },
  { reference: ref, layer: 'aaaaaaaaaaaa', status: 'downloading', current: 2_000_000, total: 2_000_000 },
  { reference: ref, layer: 'aaaaaaaaaaaa', status: 'verifying', current: 2_000_000, total: 2_000_000 },
  { reference: ref, layer: 'aaaaaaaaaaaa', status: 'extracting' },
  { reference: ref, layer: 'aaaaaaaaaaaa', status: 'done' },
  { reference: ref, layer: 'bbbbbbbbbbbb', status: 'done' },
  { reference: ref, status: 'complete' },
];

describe('pull progress', () => {
  it('plain: one line per layer event, byte counts not repeated, size and speed shown', () => {
    const lines: string[] = [];
    let clock = 1000;
    const renderer = new PlainPullRenderer((l) => lines.push(l), () => clock);
    for (const e of events) {
      renderer.onEvent(e);
      clock += 250;
    }
    renderer.done();
    assert.deepEqual(lines, [
      'busybox:1: Pulling\n',
      'busybox:1: aaaaaaaaaaaa: Waiting (2MB)\n',
      'busybox:1: bbbbbbbbbbbb: Waiting (500B)\n',
      'busybox:1: bbbbbbbbbbbb: Already exists\n',
      'busybox:1: aaaaaaaaaaaa: Downloading 2MB\n',
      // First download event at t=2000, verify at t=2750: 2 MB in 0.75 s.
      'busybox:1: aaaaaaaaaaaa: Verifying Checksum (2MB in 0.8s, 2.67MB/s)\n',
      'busybox:1: aaaaaaaaaaaa: Extracting\n',
      'busybox:1: aaaaaaaaaaaa: Pull complete\n',
      'busybox:1: bbbbbbbbbbbb: Pull complete\n',
      'busybox:1: Pulled\n',
    ]);
  });

  it('plain: a second pull of the same layer logs its download again', () => {
    const lines: string[] = [];
    const renderer = new PlainPullRenderer((l) => lines.push(l), () => 0);
    const dl: PullEvent = { reference: ref, layer: 'cccccccccccc', status: 'downloading', current: 1, total: 10 };
    renderer.onEvent(dl);
    renderer.onEvent({ ...dl, status: 'verifying' });
    renderer.onEvent(dl);
    assert.equal(lines.filter((l) => l.includes('Downloading')).length, 2);
  });

  it('rows for the live display: layers under their image, bytes only while downloading', () => {
    const image = toProgressEvent(events[0]!, 5);
    assert.deepEqual(image, { id: 'Image busybox:1', status: 'working', text: 'Pulling', time: 5 });
    const dl = toProgressEvent(events[5]!, 6);
    assert.deepEqual(dl, { id: 'aaaaaaaaaaaa', parentId: 'Image busybox:1', status: 'working', text: 'Downloading', current: 1_000_000, total: 2_000_000, time: 6 });
    assert.equal(toProgressEvent(events[3]!, 7).status, 'done');
    assert.equal(toProgressEvent(events[3]!, 7).text, 'Already exists');
    assert.equal(toProgressEvent(events[9]!, 8).current, undefined);
    assert.deepEqual(toProgressEvent(events[11]!, 9), { id: 'Image busybox:1', status: 'done', text: 'Pulled', time: 9 });
  });

  it('auto picks plain lines without a terminal, the live display with one; quiet prints nothing', async () => {
    const sink = (isTTY: boolean) => {
      const chunks: string[] = [];
      return { chunks, stream: { isTTY, columns: 100, rows: 40, write: (c: string) => (chunks.push(c), true) } as unknown as NodeJS.WritableStream };
    };
    const pipe = sink(false);
    const plain = createPullProgress(pipe.stream);
    for (const e of events) plain.onEvent(e);
    plain.done();
    assert.equal(pipe.chunks.length, 10);

    const quiet = sink(false);
    const q = createPullProgress(quiet.stream, { quiet: true });
    for (const e of events) q.onEvent(e);
    q.done();
    assert.deepEqual(quiet.chunks, []);

    const tty = sink(true);
    const live = createPullProgress(tty.stream, { color: false });
    for (const e of events) live.onEvent(e);
    live.done();
    // listr2 draws its last frame once the list has finished, a few ticks later.
    await sleep(300);
    const screen = tty.chunks.join('');
    assert.match(screen, /Image busybox:1/);
    assert.match(screen, /aaaaaaaaaaaa/);
    assert.match(screen, /Pulled/);
  });
});
