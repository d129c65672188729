import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogPrinter, LOG_PALETTE, displayName, normalizeTimestamp, serviceColor } from '../../../src/ui/log-printer.js';
import { Capture } from '../../support/fake-terminal.js';

function printer(extra: Partial<ConstructorParameters<typeof LogPrinter>[0]> = {}): { p: LogPrinter; out: Capture } {
  const out = new Capture();
  const p = new LogPrinter({ out, names: ['demo-web-1', 'demo-db-1', 'demo-worker-1'], color: false, prefix: true, timestamps: false, project: 'demo', ...extra });
  return { p, out };
}

test('prefixes are aligned to the longest name plus one, then " | "', () => {
  const { p, out } = printer();
  p.print('demo-web-1', 'stdout', 'listening on :80\n');
  p.print('demo-db-1', 'stdout', 'ready\n');
  p.print('demo-worker-1', 'stdout', 'tick\n');
  assert.equal(out.text, ['web-1     | listening on :80', 'db-1      | ready', 'worker-1  | tick', ''].join('\n'));
});

test('a container that joins later widens the prefixes from then on', () => {
  const { p, out } = printer({ names: ['demo-web-1'] });
  p.print('demo-web-1', 'stdout', 'a\n');
  p.addName('demo-scheduler-1');
  p.print('demo-web-1', 'stdout', 'b\n');
  assert.equal(out.text, 'web-1  | a\nweb-1        | b\n');
});

test('colors: the whole prefix in the service color, the same for every replica and every run', () => {
  const { p, out } = printer({ color: true, names: ['demo-web-1', 'demo-web-2'] });
  p.print('demo-web-1', 'stdout', 'one\n');
  p.print('demo-web-2', 'stdout', 'two\n');
  const code = serviceColor('web');
  assert.ok(LOG_PALETTE.includes(code));
  assert.equal(out.text, `\x1b[${code}mweb-1  | \x1b[0mone\n\x1b[${code}mweb-2  | \x1b[0mtwo\n`);
  // A fresh printer (another run, other services around) picks the same color for web.
  const again = printer({ color: true, names: ['x-a-1', 'x-web-1', 'x-zzz-1'], project: 'x' });
  again.p.print('x-web-1', 'stdout', 'three\n');
  assert.ok(again.out.text.startsWith(`\x1b[${code}m`));
  // The palette is compose's and the services spread over it.
  const used = new Set(['web', 'db', 'api', 'worker', 'cache', 'proxy', 'queue', 'mail', 'auth', 'search', 'front', 'back'].map(serviceColor));
  assert.ok(used.size >= 5, `only ${used.size} colors for 12 services`);
});

test('--no-color: no escapes anywhere; --no-log-prefix: the bare line', () => {
  const a = printer({ color: false });
  a.p.print('demo-web-1', 'stdout', 'x\n');
  assert.doesNotMatch(a.out.text, /\x1b/);
  const b = printer({ color: true, prefix: false });
  b.p.print('demo-web-1', 'stdout', 'plain line\n');
  b.p.print('demo-db-1', 'stderr', 'other\n');
  assert.equal(b.out.text, 'plain line\nother\n');
});

test('timestamps come after the prefix, widened to nine fraction digits; without a record time the clock is used', () => {
  const { p, out } = printer({ timestamps: true, now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)) });
  p.print('demo-web-1', 'stdout', 'with time\n', '2026-01-02T03:04:05.123Z');
  p.print('demo-web-1', 'stdout', 'nano\n', '2026-01-02T03:04:05.123456789Z');
  p.print('demo-web-1', 'stdout', 'no time\n');
  assert.equal(
    out.text,
    ['web-1     | 2026-01-02T03:04:05.123000000Z with time', 'web-1     | 2026-01-02T03:04:05.123456789Z nano', 'web-1     | 2026-01-02T03:04:05.678000000Z no time', ''].join('\n'),
  );
  assert.equal(normalizeTimestamp('2026-01-02T03:04:05Z'), '2026-01-02T03:04:05.000000000Z');
  assert.equal(normalizeTimestamp('not a time'), 'not a time');
});

test('partial lines wait for their end, per container and stream, and flush on demand', () => {
  const { p, out } = printer();
  p.print('demo-web-1', 'stdout', 'hel');
  p.print('demo-db-1', 'stdout', 'db line\n');
  p.print('demo-web-1', 'stderr', 'err part');
  p.print('demo-web-1', 'stdout', 'lo\nsecond\nthi');
  assert.equal(out.text, 'db-1      | db line\nweb-1     | hello\nweb-1     | second\n');
  p.print('demo-web-1', 'stdout', 'rd\n');
  assert.equal(out.text.split('\n').at(-2), 'web-1     | third');
  p.flush('demo-db-1');
  assert.ok(!out.text.includes('err part'));
  p.flush('demo-web-1');
  assert.ok(out.text.endsWith('web-1     | err part\n'));
  p.flush();
  assert.ok(out.text.endsWith('web-1     | err part\n'), 'nothing left to flush');
});

test('stderr lines go to the err stream when one is given', () => {
  const err = new Capture();
  const { p, out } = printer({ err });
  p.print('demo-web-1', 'stdout', 'to out\n');
  p.print('demo-web-1', 'stderr', 'to err\n');
  assert.equal(out.text, 'web-1     | to out\n');
  assert.equal(err.text, 'web-1     | to err\n');
});

test('status lines in the container color; names shown without the project', () => {
  const { p, out } = printer({ color: true });
  p.status('demo-web-1', 'exited with code 0');
  assert.equal(out.text, `\x1b[${serviceColor('web')}mweb-1 exited with code 0\x1b[0m\n`);
  assert.equal(displayName('my-app-my-web-1', 'my-app'), 'my-web-1');
  assert.equal(displayName('custom_name', 'demo'), 'custom_name');
  assert.equal(displayName('demo-web-1'), 'web-1');
  assert.equal(displayName('standalone'), 'standalone');
});
