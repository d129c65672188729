/**
 * Building blocks that give zod the exact semantics of the JSON Schema
 * keywords the Compose Specification uses, and make z.toJSONSchema print those
 * keywords back. zod's own defaults differ in small ways that matter when the
 * official schema is the judge: `z.number()` refuses what ajv calls a number
 * (Infinity), `.int()` stops at 2^53, `z.union` prints `anyOf` where the
 * specification says `oneOf`, and nothing in zod spells "closed object, except
 * `x-*` keys" or ajv's deep-equality `uniqueItems`.
 */
import { z } from 'zod';

export const EXTENSION_KEY = /^x-/u;

/**
 * What our own checks put in a custom issue's `params`, so the message
 * builder can word them the way compose-go does.
 */
export type CheckParams =
  | { kind: 'type'; expected: 'number' | 'integer' }
  | { kind: 'bounds'; minimum?: number; maximum?: number }
  | { kind: 'additional'; keys: string[] }
  | { kind: 'duplicate'; first: number; second: number };

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `type: number` as ajv reads it with strictNumbers off: any JS number, Infinity and NaN included. */
function isJsonNumber(value: unknown): value is number {
  return typeof value === 'number';
}

/** `type: integer` as ajv reads it: a number without a fractional part (±Infinity included, NaN not). */
function isJsonInteger(value: unknown): value is number {
  return typeof value === 'number' && !(value % 1) && !Number.isNaN(value);
}

interface Bounds {
  minimum?: number;
  maximum?: number;
}

function numeric(kind: 'number' | 'integer', bounds: Bounds) {
  const test = kind === 'integer' ? isJsonInteger : isJsonNumber;
  const params: CheckParams = { kind: 'type', expected: kind };
  let schema = z.custom<number>(test, { params });
  if (bounds.minimum !== undefined || bounds.maximum !== undefined) {
    const { minimum, maximum } = bounds;
    schema = schema.check(
      z.superRefine<number>((value, ctx) => {
        // Written as ajv compares, so NaN and the infinities land where they land there.
        if ((minimum !== undefined && value < minimum) || (maximum !== undefined && value > maximum)) {
          ctx.addIssue({ code: 'custom', message: 'out of range', input: value, params: { kind: 'bounds', ...bounds } satisfies CheckParams });
        }
      }),
    );
  }
  return schema.meta({ type: kind, ...bounds });
}

/** JSON Schema `type: number`. */
export function number(bounds: Bounds = {}) {
  return numeric('number', bounds);
}

/** JSON Schema `type: integer`. */
export function integer(bounds: Bounds = {}) {
  return numeric('integer', bounds);
}

/**
 * A closed object that also takes `x-*` extension keys: `properties`,
 * `patternProperties: {"^x-": {}}`, `additionalProperties: false`. The key
 * check runs even when a property is wrong, so one pass reports both.
 */
export function extensible<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = new Set(Object.keys(shape));
  return z
    .looseObject(shape)
    .check(
      z.superRefine<Record<string, unknown>>(
        (value, ctx) => {
          const keys = Object.keys(value).filter((key) => !known.has(key) && !EXTENSION_KEY.test(key));
          if (keys.length > 0) {
            ctx.addIssue({ code: 'custom', message: 'additional properties', input: value, params: { kind: 'additional', keys } satisfies CheckParams });
          }
        },
        { when: (payload) => isMapping(payload.value) },
      ),
    )
    .meta({ patternProperties: { '^x-': {} }, additionalProperties: false });
}

/** A closed object without extension keys (`additionalProperties: false` alone). */
export function closed<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape);
}

/** An object that names some properties and lets any other key through. */
export function open<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.looseObject(shape);
}

/** `patternProperties: {pattern: value}` with `additionalProperties: false`: every key must match. */
export function strictMap<V extends z.core.SomeType>(keyPattern: RegExp, value: V) {
  return z.record(z.string().regex(keyPattern), value);
}

/** `patternProperties: {pattern: value}` alone: keys that match are checked, the others pass untouched. */
export function patternMap<V extends z.core.SomeType>(keyPattern: RegExp, value: V) {
  return z.looseRecord(z.string().regex(keyPattern), value);
}

/** JSON Schema `oneOf`. The specification's branches never overlap in type, so exactly one can match. */
export function oneOf<const T extends readonly z.core.SomeType[]>(options: T) {
  return z.xor(options);
}

/** `uniqueItems: true`, with ajv's deep equality (key order does not matter, NaN equals NaN). */
export function unique<T extends z.ZodType>(array: z.ZodArray<T>) {
  return array
    .check(
      z.superRefine<unknown[]>((items, ctx) => {
        for (let i = 1; i < items.length; i++) {
          for (let j = 0; j < i; j++) {
            if (deepEqual(items[i], items[j])) {
              ctx.addIssue({ code: 'custom', message: 'duplicate item', input: items, path: [i], params: { kind: 'duplicate', first: j, second: i } satisfies CheckParams });
              return;
            }
          }
        }
      }),
    )
    .meta({ uniqueItems: true });
}

/** The equality `uniqueItems` uses (fast-deep-equal's, which ajv ships). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a) && Array.isArray(b)) {
      return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
    }
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    const bo = b as Record<string, unknown>;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual((a as Record<string, unknown>)[k], bo[k]));
  }
  return a !== a && b !== b;
}
