/** The path-pattern table itself: one rule per path, as compose-go's map of transformers. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalPatterns } from '../../../../../src/compose/phases/canonical.js';

it('no two rules can match the same path', () => {
  const patterns = canonicalPatterns().map((p) => p.split('.'));
  const clashes: string[] = [];
  for (let i = 0; i < patterns.length; i++) {
    for (let j = i + 1; j < patterns.length; j++) {
      const a = patterns[i] as string[];
      const b = patterns[j] as string[];
      if (a.length === b.length && a.every((seg, k) => seg === '*' || b[k] === '*' || seg === b[k])) clashes.push(`${a.join('.')} ~ ${b.join('.')}`);
    }
  }
  assert.deepEqual(clashes, []);
});

it('covers the keys the brief names', () => {
  const patterns = new Set(canonicalPatterns());
  for (const p of [
    'services.*.ports',
    'services.*.volumes.*',
    'services.*.depends_on',
    'services.*.environment',
    'services.*.env_file',
    'services.*.labels',
    'services.*.extra_hosts',
    'services.*.build',
    'services.*.healthcheck',
    'services.*.secrets.*',
    'services.*.configs.*',
    'services.*.networks',
    'services.*.ulimits.*',
    'services.*.command',
    'services.*.entrypoint',
    'services.*.devices.*',
    'services.*.logging',
    'services.*.deploy.resources.limits.memory',
    'services.*.mem_limit',
    'services.*.stop_grace_period',
    'networks.*',
    'volumes.*',
    'secrets.*',
    'configs.*',
  ]) {
    assert.ok(patterns.has(p), p);
  }
});
