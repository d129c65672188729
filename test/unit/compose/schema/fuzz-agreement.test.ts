/**
 * Random documents drawn from compose-go's copy of the schema itself (every
 * property, both sides of every oneOf, map keys that do and do not match the
 * name patterns, duplicates, extension keys, nulls, and values of the wrong
 * type here and there): our zod schema, our generated JSON Schema and our
 * error list must accept and reject each exactly as the reference does.
 * Seeded, so a failure reproduces.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateComposeFile } from '../../../../src/compose/schema/validate-file.js';
import { PositionTable } from '../../../../src/compose/positions.js';
import { sharedAvailable } from '../../../support/paths.js';
import { buildOracles, COMPOSE_GO_SCHEMA, readJson } from '../../../support/schema-oracles.js';
import type { Json } from '../../../support/schema-oracles.js';

const skip = !sharedAvailable() && 'shared compose-spec material missing';

/** mulberry32: small, fast, good enough to spread cases. */
class Rng {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
}

const KEYS = ['web', 'db', 'a.b-c_d', 'nofile', 'nproc', 'NOFILE', 'x-ext', 'bad key', '', 'Z9', 'default', 'x'];
const STRINGS = ['', 'x', 'nginx:1.25', '${VAR}', '1', 'true', 'a=b', '80:80', '/data', 'always', 'every_2d', 'sometimes', 'ab', '-', 'all', 'sync'];
const INTEGERS = [0, 1, -1, 3, 100, 101, -1000, -1001, 65535, 2 ** 60];
const NUMBERS = [0, 1.5, -1, 1000, 0.25, 2 ** 60];
const WRONG = ['text', 7, 2.5, true, null, [], {}, ['a'], { a: 1 }, [1, 1]];

/** Mutations per node: rare enough that most documents stay valid, frequent enough that many do not. */
const WRONG_TYPE_RATE = 0.015;

class InstanceGenerator {
  constructor(
    private readonly root: Json,
    private readonly rng: Rng,
  ) {}

  document(): unknown {
    return this.value(this.root, 0);
  }

  private resolve(node: Json): Json {
    const ref = node['$ref'];
    if (typeof ref !== 'string') return node;
    const name = ref.split('/').pop() as string;
    return (this.root['$defs'] as Json)[name] as Json;
  }

  private value(raw: unknown, depth: number): unknown {
    const rng = this.rng;
    if (depth > 0 && rng.chance(WRONG_TYPE_RATE)) return structuredClone(rng.pick(WRONG));
    const node = this.resolve(raw as Json);
    const branches = (node['oneOf'] ?? node['anyOf']) as unknown[] | undefined;
    if (branches) return this.value(rng.pick(branches), depth + 1);
    const declared = node['type'];
    const types = Array.isArray(declared) ? (declared as string[]) : typeof declared === 'string' ? [declared] : node['properties'] ? ['object'] : [];
    if (types.length === 0) return structuredClone(rng.pick(WRONG));
    switch (rng.pick(types)) {
      case 'object':
        return this.object(node, depth);
      case 'array':
        return this.array(node, depth);
      case 'string': {
        const options = node['enum'] as string[] | undefined;
        if (options && rng.chance(0.9)) return rng.pick(options);
        return rng.pick(STRINGS);
      }
      case 'integer':
        return rng.pick(INTEGERS);
      case 'number':
        return rng.pick([...NUMBERS, ...INTEGERS]);
      case 'boolean':
        return rng.chance(0.5);
      default:
        return null;
    }
  }

  private object(node: Json, depth: number): Record<string, unknown> {
    const rng = this.rng;
    const out: Record<string, unknown> = {};
    const required = new Set((node['required'] as string[] | undefined) ?? []);
    const props = (node['properties'] as Json | undefined) ?? {};
    const rate = depth < 2 ? 0.5 : 0.3;
    for (const [key, schema] of Object.entries(props)) {
      const keep = required.has(key) ? rng.chance(0.97) : rng.chance(rate);
      if (keep) out[key] = this.value(schema, depth + 1);
    }
    const patterns = (node['patternProperties'] as Json | undefined) ?? {};
    for (const [pattern, schema] of Object.entries(patterns)) {
      if (pattern === '^x-') {
        if (rng.chance(0.1)) out['x-note'] = structuredClone(rng.pick(WRONG));
        continue;
      }
      const count = 1 + rng.int(2);
      for (let i = 0; i < count; i++) {
        // Mostly names that match; sometimes one that does not, to test what the map does with it.
        const key = rng.chance(0.85) ? rng.pick(['web', 'db', 'a.b-c_d', 'nofile', 'nproc']) : rng.pick(KEYS);
        out[key] = this.value(schema, depth + 1);
      }
    }
    // Extension and unknown keys anywhere, also where the specification allows neither.
    if (rng.chance(0.05)) out['x-note'] = 1;
    if (rng.chance(0.03)) out['bogus'] = 1;
    return out;
  }

  private array(node: Json, depth: number): unknown[] {
    const rng = this.rng;
    const items = node['items'];
    const out: unknown[] = [];
    const count = rng.int(3) + (depth < 2 ? 1 : 0);
    for (let i = 0; i < count; i++) out.push(items ? this.value(items, depth + 1) : structuredClone(rng.pick(WRONG)));
    if (out.length > 0 && rng.chance(0.05)) out.push(structuredClone(out[0]));
    return out;
  }
}

/**
 * Every position the schema describes, reached by a minimal document around
 * it, holding each of a set of probe values: the right types, the wrong ones,
 * bounds, enum values, duplicates, missing required keys, extension and
 * unknown keys. Definitions are walked into once; later references to them
 * only get the probes at the referring position.
 */
class PositionProbe {
  readonly documents: Array<{ where: string; doc: unknown }> = [];
  private readonly explored = new Set<string>();

  constructor(private readonly root: Json) {}

  run(): this {
    this.explore(this.root, (v) => v, '');
    return this;
  }

  private resolve(node: Json): Json {
    const ref = node['$ref'];
    return typeof ref === 'string' ? ((this.root['$defs'] as Json)[ref.split('/').pop() as string] as Json) : node;
  }

  private explore(raw: Json, wrap: (v: unknown) => unknown, where: string): void {
    const ref = raw['$ref'];
    const node = this.resolve(raw);
    for (const probe of this.probes(node)) this.documents.push({ where, doc: wrap(probe) });
    if (typeof ref === 'string') {
      if (this.explored.has(ref)) return;
      this.explored.add(ref);
    }
    for (const branch of ((node['oneOf'] ?? node['anyOf']) as Json[] | undefined) ?? []) this.explore(branch, wrap, where);
    const props = (node['properties'] as Record<string, Json> | undefined) ?? {};
    for (const [key, schema] of Object.entries(props)) {
      this.explore(schema, (v) => wrap({ ...this.minimalObject(node, key), [key]: v }), `${where}.${key}`);
    }
    const patterns = (node['patternProperties'] as Record<string, Json> | undefined) ?? {};
    for (const [pattern, schema] of Object.entries(patterns)) {
      if (pattern === '^x-') continue;
      const key = matchingSample(pattern);
      this.explore(schema, (v) => wrap({ ...this.minimalObject(node), [key]: v }), `${where}.${key}`);
    }
    const items = node['items'] as Json | undefined;
    if (items) this.explore(items, (v) => wrap([v]), `${where}[]`);
  }

  /** Probe values for one position: generic ones plus the node's own minimal value, bent. */
  private probes(node: Json): unknown[] {
    const out: unknown[] = ['x', '', '${VAR}', 'always', 'all', 'sync', 0, 1, -1, 101, -1001, 1.5, 2 ** 60, Infinity, -Infinity, NaN, true, false, null];
    out.push([], ['a'], ['a', 'a'], [1], [null], {}, { 'x-note': 1 }, { bogus: 1 }, { '': 1 }, { 'bad key': 'x' }, { NOFILE: [1] });
    for (const value of (node['enum'] as unknown[] | undefined) ?? []) out.push(value);
    const minimal = this.minimal(node);
    out.push(minimal);
    if (Array.isArray(minimal)) out.push([this.minimal(this.resolve((node['items'] as Json | undefined) ?? {}))]);
    if (typeof minimal === 'object' && minimal !== null && !Array.isArray(minimal)) {
      out.push({ ...minimal, 'x-note': 1 }, { ...minimal, bogus: 1 });
      for (const key of Object.keys(minimal)) {
        const { [key]: _dropped, ...rest } = minimal as Record<string, unknown>;
        out.push(rest);
      }
    }
    for (const branch of ((node['oneOf'] ?? node['anyOf']) as Json[] | undefined) ?? []) {
      const item = this.minimal(this.resolve(branch));
      out.push(item, [item, item]);
    }
    const items = node['items'] as Json | undefined;
    if (items) {
      const item = this.minimal(this.resolve(items));
      out.push([item], [item, item], [item, structuredClone(item)]);
    }
    return out;
  }

  private minimalObject(node: Json, except?: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const props = (node['properties'] as Record<string, Json> | undefined) ?? {};
    for (const key of (node['required'] as string[] | undefined) ?? []) {
      if (key !== except && props[key]) out[key] = this.minimal(this.resolve(props[key]));
    }
    return out;
  }

  /** The smallest value the node accepts (or close to it). */
  private minimal(node: Json): unknown {
    const branches = (node['oneOf'] ?? node['anyOf']) as Json[] | undefined;
    if (branches?.[0]) return this.minimal(this.resolve(branches[0]));
    const declared = node['type'];
    const type = Array.isArray(declared) ? (declared[0] as string) : (declared as string | undefined) ?? (node['properties'] ? 'object' : undefined);
    switch (type) {
      case 'object':
        return this.minimalObject(node);
      case 'array':
        return [];
      case 'string': {
        const options = node['enum'] as string[] | undefined;
        if (options?.[0] !== undefined) return options[0];
        const pattern = node['pattern'] as string | undefined;
        return pattern ? matchingSample(pattern) : 'x';
      }
      case 'integer':
      case 'number':
        return (node['minimum']) ?? 0;
      case 'boolean':
        return true;
      case 'null':
        return null;
      case undefined:
      default:
        return 'x';
    }
  }
}

function matchingSample(pattern: string): string {
  const re = new RegExp(pattern, 'u');
  const sample = ['web', 'nofile', 'always', 'ab', ...STRINGS].find((s) => re.test(s));
  if (sample === undefined) throw new Error(`no sample key matches ${pattern}`);
  return sample;
}

describe('every position of compose-go\'s schema, probed', { skip }, () => {
  it('each probe document is judged alike', () => {
    const oracles = buildOracles();
    const positions = new PositionTable();
    const { documents } = new PositionProbe(readJson(COMPOSE_GO_SCHEMA)).run();
    assert.ok(documents.length > 5000, `${documents.length} probes`);
    let valid = 0;
    for (const { where, doc } of documents) {
      const expected = oracles.composeGo(doc);
      const show = () => `at ${where || '(root)'}: ${JSON.stringify(doc)}`;
      assert.equal(oracles.zod(doc), expected, `zod schema ${show()}`);
      assert.equal(oracles.generated(doc), expected, `generated JSON schema ${show()}`);
      const errors = validateComposeFile(doc, { positions });
      assert.equal(errors.length === 0, expected, `validateComposeFile (${errors.map((e) => e.message).join(' | ')}) ${show()}`);
      if (expected) valid++;
    }
    assert.ok(valid > documents.length / 10, `valid probes: ${valid} of ${documents.length}`);
  });
});

describe('random documents from compose-go\'s schema', { skip }, () => {
  const oracles = buildOracles();
  const reference = readJson(COMPOSE_GO_SCHEMA);
  const positions = new PositionTable();
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: 1500 documents judged alike`, () => {
      const generator = new InstanceGenerator(reference, new Rng(seed));
      let valid = 0;
      for (let n = 0; n < 1500; n++) {
        const doc = generator.document();
        const expected = oracles.composeGo(doc);
        const show = () => `seed ${seed} document ${n}: ${JSON.stringify(doc)}`;
        assert.equal(oracles.zod(doc), expected, `zod schema, ${show()}`);
        assert.equal(oracles.generated(doc), expected, `generated JSON schema, ${show()}`);
        const errors = validateComposeFile(doc, { positions });
        assert.equal(errors.length === 0, expected, `validateComposeFile (${errors.map((e) => e.message).join(' | ')}), ${show()}`);
        const paths = errors.map((e) => e.keyPath);
        assert.equal(new Set(paths).size, paths.length, `one message per key path, ${show()}`);
        if (expected) valid++;
      }
      // Both outcomes must be well represented, or the test proves little.
      assert.ok(valid > 150 && valid < 1350, `valid documents: ${valid} of 1500`);
    });
  }
});
