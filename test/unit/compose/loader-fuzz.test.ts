/**
 * Thousands of mutated compose files never crash the loader: every outcome is
 * a loaded project or a typed error, and errors from the file itself (YAML,
 * schema, interpolation) carry a position. Seeded, so a failure reproduces.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES_DIR, sharedAvailable } from '../../support/paths.js';
import { memoryReader } from '../../support/memory-reader.js';
import { loadProject } from '../../../src/compose/loader.js';
import { isTscComposeError, AggregateComposeError } from '../../../src/errors/index.js';
import type { TscComposeError } from '../../../src/errors/index.js';

const ITERATIONS = Number(process.env['TSC_FUZZ_ITERATIONS'] ?? 3000);
const SEED = Number(process.env['TSC_FUZZ_SEED'] ?? 20261122);

/** Errors about the file's own text must say where; these codes are about the project as a whole. */
const POSITIONLESS_CODES = new Set(['TSC_PROJECT_NAME', 'TSC_FILE_NOT_FOUND', 'TSC_DISABLED_DEPENDENCY', 'TSC_NO_SUCH_SERVICE']);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BUILTIN_SEEDS = [
  'services:\n  web:\n    image: nginx\n    ports:\n      - "8080:80"\n    environment:\n      A: b\n    depends_on:\n      - db\n  db:\n    image: postgres\n    volumes:\n      - data:/var/lib/postgresql/data\nvolumes:\n  data: {}\n',
  'x-base: &base\n  image: busybox\nservices:\n  a:\n    <<: *base\n    command: ["sh", "-c", "echo $${HOME}"]\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 1s\n',
];

function seeds(): string[] {
  const out = [...BUILTIN_SEEDS];
  if (!sharedAvailable()) return out;
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(e.name)) out.push(fs.readFileSync(full, 'utf8'));
    }
  };
  walk(FIXTURES_DIR);
  return out;
}

const WRONG_VALUES = ['', '[]', '{}', 'null', '42', '-1', 'true', '"${X:?boom}"', '"${"', '"$$"', '[1, [2]]', '{a: {b: c}}', '*nope', '!reset', '!override 3', '"80:eighty"', '1.5G', '|\n  text'];

function mutate(text: string, random: () => number): string {
  const lines = text.split('\n');
  const pick = (): number => Math.floor(random() * Math.max(lines.length, 1));
  const ops = 1 + Math.floor(random() * 3);
  for (let n = 0; n < ops; n++) {
    const i = pick();
    const line = lines[i] ?? '';
    switch (Math.floor(random() * 8)) {
      case 0: // drop a line
        lines.splice(i, 1);
        break;
      case 1: // duplicate a line (duplicate keys)
        lines.splice(i, 0, line);
        break;
      case 2: // break indentation
        lines[i] = (random() < 0.5 ? ' ' : '\t') + line;
        break;
      case 3: // dedent
        lines[i] = line.replace(/^ {1,2}/, '');
        break;
      case 4: { // wrong-typed value
        const m = /^(\s*[^:#\s][^:]*:)\s*(.*)$/.exec(line);
        if (m) lines[i] = `${m[1]} ${WRONG_VALUES[Math.floor(random() * WRONG_VALUES.length)]}`;
        break;
      }
      case 5: { // random bytes inside a line
        const pos = Math.floor(random() * (line.length + 1));
        const bytes = Array.from({ length: 1 + Math.floor(random() * 4) }, () => String.fromCharCode(Math.floor(random() * 256))).join('');
        lines[i] = line.slice(0, pos) + bytes + line.slice(pos);
        break;
      }
      case 6: // swap two lines
        {
          const j = pick();
          const tmp = lines[i] ?? '';
          lines[i] = lines[j] ?? '';
          lines[j] = tmp;
        }
        break;
      default: // truncate the file
        lines.length = Math.max(0, i);
    }
  }
  return lines.join('\n');
}

function problemsOf(err: TscComposeError): TscComposeError[] {
  return err instanceof AggregateComposeError ? err.problems : [err];
}

it(`loader survives ${ITERATIONS} mutated files (seed ${SEED})`, () => {
  const random = rng(SEED);
  const corpus = seeds();
  let loaded = 0;
  let rejected = 0;
  for (let n = 0; n < ITERATIONS; n++) {
    const text = mutate(corpus[n % corpus.length] as string, random);
    const reader = memoryReader({ '/fuzz/compose.yaml': text });
    try {
      loadProject(
        {
          configFiles: ['/fuzz/compose.yaml'],
          workingDir: '/fuzz',
          explicitName: 'fuzz',
          environment: new Map([['HOME', '/root']]),
          envFiles: [],
          profiles: ['*'],
          warnings: [],
        },
        { reader, homeDir: '/root', shellEnv: new Map() },
      );
      loaded++;
    } catch (err) {
      rejected++;
      assert.ok(isTscComposeError(err), `iteration ${n}: untyped error ${(err as Error)?.stack ?? String(err)}\n--- input ---\n${text}`);
      for (const p of problemsOf(err)) {
        if (p.category === 'internal') assert.fail(`iteration ${n}: internal error ${p.format()}\n--- input ---\n${text}`);
        if (!POSITIONLESS_CODES.has(p.code) && !p.keyPath) {
          assert.ok(p.location, `iteration ${n}: error without position: ${p.code} ${p.format()}\n--- input ---\n${text}`);
        }
      }
    }
  }
  assert.ok(loaded > 0 && rejected > 0, `both outcomes happen (loaded ${loaded}, rejected ${rejected})`);
});
