import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TtyProgress, visibleLength } from '../../../src/ui/progress/tty.js';
import { createProgress } from '../../../src/ui/progress/select.js';
import { created, creating, exited, healthy, progressEvent, started, starting, waiting } from '../../../src/events/progress.js';
import { FakeTerminal } from './fake-terminal.js';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

/** A row as the terminal shows it: the timer right-aligned one column before the edge. */
function row(left: string, timer: string, width = 80): string {
  return `${left.padEnd(width - 1 - `${timer} `.length)}${timer}`;
}

function stack(p: TtyProgress, term: FakeTerminal, clock: { t: number }): void {
  p.start('Running');
  p.on(creating('Network demo_default', { time: T0 }));
  p.on(creating('Container demo-db-1', { time: T0 + 100 }), creating('Container demo-web-1', { time: T0 + 100 }));
  clock.t = T0 + 150;
  p.on(created('Network demo_default', { time: T0 + 150 }));
  p.on(created('Container demo-db-1', { time: T0 + 300 }), created('Container demo-web-1', { time: T0 + 300 }));
  p.on(starting('Container demo-db-1', { time: T0 + 300 }), waiting('Container demo-web-1', { time: T0 + 300, details: 'waiting for db (service_healthy)' }));
  clock.t = T0 + 900;
  // A frame in the middle: rows still running show a spinner and a live clock.
  const mid = term.screen();
  assert.ok(mid.some((l) => l.includes('Container demo-web-1') && l.includes('Waiting waiting for db (service_healthy)')), mid.join('\n'));
  p.on(healthy('Container demo-db-1', { time: T0 + 2300 }));
  p.on(started('Container demo-web-1', { time: T0 + 2500 }));
  clock.t = T0 + 2600;
  p.done();
  void term;
}

test('tty: the last frame shows every resource in its final state, drawn in place', () => {
  const term = new FakeTerminal(80, 24);
  const clock = { t: T0 };
  const p = new TtyProgress(term, { color: false, now: () => clock.t, refreshMs: 0 });
  stack(p, term, clock);
  assert.deepEqual(term.screen(), [
    '[+] Running 3/3',
    row(' ✔ Network demo_default Created', '0.1s'),
    row(' ✔ Container demo-db-1  Healthy', '2.2s'),
    row(' ✔ Container demo-web-1 Started', '2.4s'),
  ]);
  // Many frames were written, and each one replaced the previous one (no duplicate rows below).
  assert.ok((term.raw.match(/\[\+\] Running/g) ?? []).length > 3);
});

test('tty: colors mark done/error and lines never exceed the terminal width', () => {
  const term = new FakeTerminal(60, 24);
  const clock = { t: T0 };
  const p = new TtyProgress(term, { color: true, now: () => clock.t, refreshMs: 0 });
  p.start('Running');
  p.on(waiting('Container demo-web-1', { time: T0, details: 'waiting for a dependency with a very long explanation that cannot fit' }));
  p.on(exited('Container demo-job-1', 2, { time: T0 + 500 }));
  for (const line of p.frame()) assert.ok(visibleLength(line) < 60, `too wide: ${JSON.stringify(line)}`);
  p.on(healthy('Container demo-web-1', { time: T0 + 700 }));
  p.done();
  assert.match(term.raw, /\x1b\[32m✔\x1b\[0m/);
  assert.match(term.raw, /\x1b\[31m✘\x1b\[0m/);
  const screen = term.screen();
  assert.match(screen[0] as string, /^\[\+\] Running 2\/2$/);
  assert.match(screen[2] as string, /^ ✘ Container demo-job-1 Exited exit code 2 +0\.0s$/);
});

test('tty: pull rows show bytes and speed, layers under their image with a per-layer gauge', () => {
  const term = new FakeTerminal(100, 24);
  const clock = { t: T0 };
  const p = new TtyProgress(term, { color: false, now: () => clock.t, refreshMs: 0 });
  p.start('Pulling');
  p.on(progressEvent('Image postgres', 'working', 'Pulling', { time: T0 }));
  p.on(progressEvent('a1', 'working', 'Downloading', { parentId: 'Image postgres', current: 0, total: 10_000_000, time: T0 }));
  p.on(progressEvent('b2', 'working', 'Downloading', { parentId: 'Image postgres', current: 0, total: 30_000_000, time: T0 }));
  p.on(progressEvent('a1', 'working', 'Downloading', { parentId: 'Image postgres', current: 5_000_000, total: 10_000_000, time: T0 + 1000 }));
  p.on(progressEvent('b2', 'working', 'Downloading', { parentId: 'Image postgres', current: 3_000_000, total: 30_000_000, time: T0 + 1000 }));
  clock.t = T0 + 1000;
  const frame = p.frame();
  assert.equal(frame.length, 4);
  assert.match(frame[1] as string, /^ ⠋ Image postgres \[⣤⠀\] Pulling 8MB \/ 40MB 8MB\/s +1\.0s $/);
  assert.match(frame[2] as string, /^   ⠋ a1 +Downloading 5MB \/ 10MB 5MB\/s +1\.0s $/);
  assert.match(frame[3] as string, /^   ⠋ b2 +Downloading 3MB \/ 30MB 3MB\/s +1\.0s $/);
  p.on(progressEvent('a1', 'done', 'Pull complete', { parentId: 'Image postgres', time: T0 + 2000 }));
  p.on(progressEvent('b2', 'done', 'Pull complete', { parentId: 'Image postgres', time: T0 + 3000 }));
  p.on(progressEvent('Image postgres', 'done', 'Pulled', { time: T0 + 3000 }));
  p.done();
  const screen = term.screen();
  assert.equal(screen.length, 4);
  assert.match(screen[0] as string, /^\[\+\] Pulling 3\/3$/);
  assert.match(screen[1] as string, /^ ✔ Image postgres Pulled +3\.0s$/);
  assert.match(screen[2] as string, /^   ✔ a1 +Pull complete +2\.0s$/);
  assert.match(screen[3] as string, /^   ✔ b2 +Pull complete +3\.0s$/);
});

test('tty: the redraw timer advances spinners and clocks, and stops at done', async () => {
  const term = new FakeTerminal(80, 24);
  const p = createProgress('tty', term as unknown as NodeJS.WriteStream, { color: false });
  p.start('Running');
  p.on(creating('Container demo-web-1', { time: Date.now() }));
  await new Promise((r) => setTimeout(r, 350));
  const frames = (term.raw.match(/\[\+\] Running/g) ?? []).length;
  assert.ok(frames >= 2, `only ${frames} frames`);
  p.on(created('Container demo-web-1', { time: Date.now() }));
  p.done();
  const written = term.raw.length;
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(term.raw.length, written, 'nothing drawn after done');
  assert.match(term.screen()[1] as string, /^ ✔ Container demo-web-1 Created +0\.\ds$/);
});

test('tty: while rows outgrow the screen only the newest fit; the final frame lists them all', () => {
  const term = new FakeTerminal(80, 6);
  const clock = { t: T0 };
  const p = new TtyProgress(term, { color: false, now: () => clock.t, refreshMs: 0 });
  p.start('Running');
  for (let i = 1; i <= 8; i++) p.on(creating(`Container demo-web-${i}`, { time: T0 }));
  assert.ok(p.frame().length <= 5);
  for (let i = 1; i <= 8; i++) p.on(started(`Container demo-web-${i}`, { time: T0 + i * 100 }));
  p.done();
  const screen = term.screen();
  assert.equal(screen[0], '[+] Running 8/8');
  for (let i = 1; i <= 8; i++) assert.ok(screen.some((l) => new RegExp(`✔ Container demo-web-${i} +Started`).test(l)), screen.join('\n'));
  assert.equal(screen.length, 9);
});

test('tty: an error stops the clocks of rows still running; later events print as lines below', () => {
  const term = new FakeTerminal(80, 24);
  const clock = { t: T0 };
  const p = new TtyProgress(term, { color: false, now: () => clock.t, refreshMs: 0 });
  p.start('Running');
  p.on(waiting('Container demo-web-1', { time: T0, details: 'waiting for db (service_healthy)' }));
  clock.t = T0 + 1200;
  p.done(new Error('dependency failed'));
  clock.t = T0 + 5000;
  p.on(started('Container demo-x-1', { time: T0 + 5000 }));
  const screen = term.screen();
  assert.equal(screen.length, 3);
  assert.equal(screen[0], '[+] Running 0/1');
  assert.equal((screen[1] as string).slice(3), row(' ⠋ Container demo-web-1 Waiting waiting for db (service_healthy)', '1.2s').slice(3));
  assert.equal(screen[2], 'Container demo-x-1 Started');
});
