/**
 * Strict JSON (RFC 8259) with a source position for every value, so that a
 * problem found later, by the schema, can be reported as `file:line:col`.
 * JSON.parse gives neither positions nor duplicate keys; YAML's parser would
 * accept a YAML file where JSON is promised. A duplicated key is an error
 * here (JSON.parse silently keeps the last one).
 */
import { TscComposeError } from '../../errors/index.js';
import type { SourceLocation } from '../../errors/index.js';

export type JsonPath = ReadonlyArray<string | number>;

export interface PositionedJson {
  value: unknown;
  /** The position of the deepest part of `path` that exists: the key of an object member, or an array element. */
  locate(path: JsonPath): SourceLocation;
}

const pathKey = (path: JsonPath): string => path.map(String).join('\u0000');

class Reader {
  private offset = 0;
  private line = 1;
  private column = 1;
  readonly positions = new Map<string, SourceLocation>();

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  here(): SourceLocation {
    return { file: this.file, line: this.line, column: this.column };
  }

  fail(message: string, at: SourceLocation = this.here()): never {
    throw new TscComposeError('TSC_ENGINE_CONFIG_SYNTAX', message, { location: at });
  }

  private peek(): string | undefined {
    return this.text[this.offset];
  }

  private advance(count = 1): void {
    for (let i = 0; i < count; i++) {
      if (this.text[this.offset] === '\n') {
        this.line++;
        this.column = 1;
      } else {
        this.column++;
      }
      this.offset++;
    }
  }

  private skipWhitespace(): void {
    for (let c = this.peek(); c === ' ' || c === '\t' || c === '\n' || c === '\r'; c = this.peek()) this.advance();
  }

  private describeNext(): string {
    const c = this.peek();
    if (c === undefined) return 'end of file';
    const word = /^[A-Za-z_$][\w$-]*/.exec(this.text.slice(this.offset))?.[0];
    return word ? `'${word}'` : `'${c}'`;
  }

  document(): unknown {
    this.skipWhitespace();
    if (this.peek() === undefined) this.fail('the file is empty (an engine configuration with no settings is {})');
    const value = this.value([]);
    this.skipWhitespace();
    if (this.peek() !== undefined) this.fail(`unexpected ${this.describeNext()} after the end of the JSON value`);
    return value;
  }

  private value(path: JsonPath): unknown {
    this.skipWhitespace();
    if (!this.positions.has(pathKey(path))) this.positions.set(pathKey(path), this.here());
    const c = this.peek();
    switch (c) {
      case '{':
        return this.object(path);
      case '[':
        return this.array(path);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      case undefined:
        return this.fail('unexpected end of file: a value is missing');
      default:
        if (c !== undefined && /[-0-9]/.test(c)) return this.number();
        return this.fail(`expected a JSON value, found ${this.describeNext()}`);
    }
  }

  private literal<T>(word: string, value: T): T {
    if (this.text.startsWith(word, this.offset) && !/[\w$]/.test(this.text[this.offset + word.length] ?? '')) {
      this.advance(word.length);
      return value;
    }
    return this.fail(`expected a JSON value, found ${this.describeNext()}`);
  }

  private number(): number {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.offset));
    const after = m ? this.text[this.offset + m[0].length] : undefined;
    if (!m || (after !== undefined && /[\w.+-]/.test(after))) this.fail(`invalid number ${this.describeNext()}`);
    this.advance(m[0].length);
    return Number(m[0]);
  }

  private string(): string {
    const start = this.here();
    this.advance(); // the opening quote
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '\n') this.fail('unterminated string', start);
      if (c === '"') {
        this.advance();
        return out;
      }
      if (c < ' ') this.fail('control character in a string (write it as an escape, e.g. \\t)');
      if (c !== '\\') {
        out += c;
        this.advance();
        continue;
      }
      const e = this.text[this.offset + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && simple[e] !== undefined) {
        out += simple[e];
        this.advance(2);
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.offset + 2, this.offset + 6))) {
        out += String.fromCharCode(parseInt(this.text.slice(this.offset + 2, this.offset + 6), 16));
        this.advance(6);
      } else {
        this.fail(`invalid escape \\${e ?? ''} in a string`);
      }
    }
  }

  private object(path: JsonPath): Record<string, unknown> {
    this.advance(); // {
    const out: Record<string, unknown> = {};
    this.skipWhitespace();
    if (this.peek() === '}') {
      this.advance();
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.peek() !== '"') this.fail(`expected a key in double quotes, found ${this.describeNext()}`);
      const keyAt = this.here();
      const key = this.string();
      if (Object.hasOwn(out, key)) this.fail(`key "${key}" is already defined in this object`, keyAt);
      this.positions.set(pathKey([...path, key]), keyAt);
      this.skipWhitespace();
      if (this.peek() !== ':') this.fail(`expected ':' after key "${key}", found ${this.describeNext()}`);
      this.advance();
      // An own data property even for "__proto__", so a key can never reach the prototype.
      Object.defineProperty(out, key, { value: this.value([...path, key]), enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      const c = this.peek();
      if (c === ',') {
        this.advance();
        this.skipWhitespace();
        if (this.peek() === '}') this.fail('trailing comma before }');
        continue;
      }
      if (c === '}') {
        this.advance();
        return out;
      }
      this.fail(`expected ',' or '}' after the value of "${key}", found ${this.describeNext()}`);
    }
  }

  private array(path: JsonPath): unknown[] {
    this.advance(); // [
    const out: unknown[] = [];
    this.skipWhitespace();
    if (this.peek() === ']') {
      this.advance();
      return out;
    }
    for (;;) {
      out.push(this.value([...path, out.length]));
      this.skipWhitespace();
      const c = this.peek();
      if (c === ',') {
        this.advance();
        this.skipWhitespace();
        if (this.peek() === ']') this.fail('trailing comma before ]');
        continue;
      }
      if (c === ']') {
        this.advance();
        return out;
      }
      this.fail(`expected ',' or ']' in a list, found ${this.describeNext()}`);
    }
  }
}

/** Parses `text` (the contents of `file`); a syntax error is a TSC_ENGINE_CONFIG_SYNTAX error at its position. */
export function readJsonWithPositions(text: string, file: string): PositionedJson {
  const reader = new Reader(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file);
  const value = reader.document();
  const positions = reader.positions;
  return {
    value,
    locate(path) {
      for (let n = path.length; n > 0; n--) {
        const found = positions.get(pathKey(path.slice(0, n)));
        if (found) return found;
      }
      return positions.get(pathKey([])) ?? { file, line: 1, column: 1 };
    },
  };
}
