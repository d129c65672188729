/**
 * Variable substitution in one string, with compose's syntax: `$VAR`,
 * `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, nested expressions inside the
 * default/alternative/error text, and `$$` for a literal `$`.
 */
import type { VariableLookup } from './context.js';

export class TemplateError extends Error {
  constructor(
    readonly kind: 'invalid' | 'required',
    message: string,
    readonly variable?: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

const NAME_START = /[_a-zA-Z]/;
const NAME_CHAR = /[_a-zA-Z0-9]/;

export function substitute(text: string, lookup: VariableLookup, onUnset?: (name: string) => void): string {
  if (!text.includes('$')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const { value, end } = braced(text, i + 2, lookup, onUnset);
      out += value;
      i = end;
      continue;
    }
    if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < text.length && NAME_CHAR.test(text[j] as string)) j++;
      const name = text.slice(i + 1, j);
      const value = lookup(name);
      if (value === undefined) onUnset?.(name);
      out += value ?? '';
      i = j;
      continue;
    }
    // A lone `$` (end of text, or before a character no variable starts with) stays.
    out += '$';
    i++;
  }
  return out;
}

/** Parses `${...}` whose body starts at `start`; returns the value and the index after `}`. */
function braced(text: string, start: number, lookup: VariableLookup, onUnset?: (name: string) => void): { value: string; end: number } {
  let j = start;
  if (j >= text.length || !NAME_START.test(text[j] as string)) throw invalid(text);
  while (j < text.length && NAME_CHAR.test(text[j] as string)) j++;
  const name = text.slice(start, j);
  if (text[j] === '}') {
    const value = lookup(name);
    if (value === undefined) onUnset?.(name);
    return { value: value ?? '', end: j + 1 };
  }
  let op: string;
  if (text[j] === ':' && ['-', '?', '+'].includes(text[j + 1] as string)) op = `:${text[j + 1]}`;
  else if (['-', '?', '+'].includes(text[j] as string)) op = text[j] as string;
  else throw invalid(text);
  const argStart = j + op.length;
  const argEnd = closingBrace(text, argStart);
  if (argEnd === -1) throw invalid(text);
  const rawArg = text.slice(argStart, argEnd);
  const arg = (): string => substitute(rawArg, lookup, onUnset);
  const value = lookup(name);
  const unset = value === undefined;
  const empty = unset || value === '';
  let result: string;
  switch (op) {
    case ':-':
      result = empty ? arg() : (value);
      break;
    case '-':
      result = unset ? arg() : (value);
      break;
    case ':?':
    case '?':
      if (op === ':?' ? empty : unset) {
        const message = arg();
        throw new TemplateError('required', `required variable ${name} is missing a value${message ? `: ${message}` : ''}`, name);
      }
      result = value as string;
      break;
    case ':+':
      result = empty ? '' : arg();
      break;
    default: // '+'
      result = unset ? '' : arg();
  }
  return { value: result, end: argEnd + 1 };
}

/** Index of the `}` closing an expression whose body starts at `start`, skipping nested `${…}` and `$$`. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  for (let k = start; k < text.length; k++) {
    const c = text[k];
    if (c === '$' && text[k + 1] === '$') {
      k++;
      continue;
    }
    if (c === '$' && text[k + 1] === '{') {
      depth++;
      k++;
      continue;
    }
    if (c === '}') {
      if (depth === 0) return k;
      depth--;
    }
  }
  return -1;
}

function invalid(text: string): TemplateError {
  return new TemplateError('invalid', `invalid interpolation format for "${text}"; you may need to escape any $ with another $`);
}
