import { test } from 'node:test';
import assert from 'node:assert/strict';
import { criticalPath, readyAt, renderTimeline, timelineReport } from '../../../src/ui/timeline.js';
import type { TimelineEntry } from '../../../src/ui/timeline.js';

const T0 = 1_800_000_000_000;

/** db (healthcheck) ← api (healthcheck, waits for db) ← web (waits for api); cache starts on its own. */
const chain: TimelineEntry[] = [
  { name: 'db', createdAt: T0, startedAt: T0 + 20, healthyAt: T0 + 1500 },
  { name: 'cache', createdAt: T0 + 2, startedAt: T0 + 30 },
  { name: 'api', createdAt: T0 + 5, startedAt: T0 + 1510, healthyAt: T0 + 2500, waitedFor: ['db'] },
  { name: 'web', createdAt: T0 + 6, startedAt: T0 + 2520, waitedFor: ['api', 'cache'] },
];

test('critical path of a 3-service chain: db → api → web (cache was ready early)', () => {
  assert.deepEqual(criticalPath(chain), ['db', 'api', 'web']);
});

test('critical path follows the dependency that was ready last, and ready means healthy, exited or started', () => {
  const entries: TimelineEntry[] = [
    { name: 'migrate', createdAt: T0, startedAt: T0 + 10, exitedAt: T0 + 3000 },
    { name: 'db', createdAt: T0, startedAt: T0 + 10, healthyAt: T0 + 1000 },
    { name: 'app', createdAt: T0, startedAt: T0 + 3010, waitedFor: ['db', 'migrate'] },
  ];
  assert.equal(readyAt(entries[0] as TimelineEntry), T0 + 3000);
  assert.deepEqual(criticalPath(entries), ['migrate', 'app']);
  assert.deepEqual(criticalPath([]), []);
  // A cycle in waitedFor (should not happen) ends the walk instead of looping.
  assert.deepEqual(criticalPath([{ name: 'a', startedAt: 2, waitedFor: ['b'] }, { name: 'b', startedAt: 1, waitedFor: ['a'] }]), ['b', 'a']);
});

test('rendered timeline: offsets in ms from the first event, waits, bars, critical services starred', () => {
  const text = renderTimeline(chain, { color: false, width: 100 });
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'Startup timeline (critical path: db → api → web)');
  assert.equal(lines[1], '  SERVICE  CREATED  STARTED  HEALTHY  WAITED FOR');
  // Ordered by when each became ready.
  assert.deepEqual(lines.slice(2).map((l) => l.slice(0, 48).trimEnd()), [
    '  cache        2ms     30ms        -  -',
    '* db           0ms     20ms   1500ms  -',
    '* api          5ms   1510ms   2500ms  db',
    '* web          6ms   2520ms        -  api, cache',
  ]);
  // The bar: ░ while waiting for dependencies, █ once started; web's bar ends at the right edge.
  const bar = (name: string): string => (lines.find((l) => l.slice(2).startsWith(`${name} `)) as string).slice(50);
  assert.match(bar('db'), /^█+$/);
  assert.match(bar('api'), /^░+█+$/);
  assert.match(bar('web'), /^░+█$/);
  assert.equal(bar('web').length, bar('api').length + 1);
  assert.ok(bar('cache').length <= 2);
  for (const l of lines) assert.ok([...l].length <= 100, `too wide: ${l}`);
});

test('with color the critical rows are bold and their bars yellow', () => {
  const text = renderTimeline(chain, { color: true });
  assert.match(text, /\x1b\[1m\* db /);
  assert.match(text, /\x1b\[33m█+\x1b\[0m/);
  assert.doesNotMatch(text.split('\n').find((l) => l.includes('cache')) as string, /\x1b/);
  assert.equal(renderTimeline([{ name: 'x' }], { color: false }), '');
});

test('the timeline as data for --progress json', () => {
  const report = timelineReport(chain);
  assert.deepEqual(report, {
    start: new Date(T0).toISOString(),
    criticalPath: ['db', 'api', 'web'],
    services: [
      { name: 'cache', waitedFor: [], critical: false, created: 2, started: 30, ready: 30 },
      { name: 'db', waitedFor: [], critical: true, created: 0, started: 20, healthy: 1500, ready: 1500 },
      { name: 'api', waitedFor: ['db'], critical: true, created: 5, started: 1510, healthy: 2500, ready: 2500 },
      { name: 'web', waitedFor: ['api', 'cache'], critical: true, created: 6, started: 2520, ready: 2520 },
    ],
  });
  assert.equal(timelineReport([]), undefined);
});
