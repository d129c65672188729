/**
 * `.env` and `env_file` parsing with compose-go's rules: `KEY=VAL` (or
 * `KEY: VAL`), optional `export `, comments, single quotes literal (`\'`
 * allowed), double quotes with escapes and `${}`, unquoted values cut at ` #`
 * and expanded, multi-line quoted values, a bare `KEY` inheriting from the
 * lookup, a UTF-8 BOM. `format: raw` files take every value verbatim.
 */
import { ComposeFileError } from '../errors/index.js';
import type { VariableLookup } from './context.js';
import { substitute, TemplateError } from './template.js';

const KEY = /^[A-Za-z0-9_.-]+$/;

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

export function parseDotenv(input: string, file: string, lookup: VariableLookup = () => undefined): Map<string, string> {
  const text = stripBom(input).replace(/\r\n?/g, '\n');
  const vars = new Map<string, string>();
  const resolve: VariableLookup = (name) => vars.get(name) ?? lookup(name);
  const fail = (at: number, message: string): never => {
    throw new ComposeFileError('TSC_DOTENV_INVALID', `${message}`, { location: { file, line: lineAt(text, at), column: 1 } });
  };
  const expand = (value: string, at: number): string => {
    try {
      return substitute(value, resolve);
    } catch (err) {
      if (err instanceof TemplateError) return fail(at, err.message);
      throw err;
    }
  };

  let i = 0;
  while (i < text.length) {
    // Skip blank space and comment lines.
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n')) i++;
    if (i >= text.length) break;
    if (text[i] === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const lineStart = i;
    let eol = text.indexOf('\n', i);
    if (eol === -1) eol = text.length;
    let rest = text.slice(i, eol);
    if (rest.startsWith('export ') || rest.startsWith('export\t')) {
      rest = rest.slice(7).trimStart();
      i = eol - rest.length;
    }
    const sep = rest.search(/[=:]/);
    if (sep === -1) {
      const key = rest.trim();
      if (!KEY.test(key)) fail(lineStart, `unexpected character "${(/[^A-Za-z0-9_.-]/.exec(key) ?? [' '])[0]}" in variable name near "${key}"`);
      const inherited = lookup(key);
      if (inherited !== undefined) vars.set(key, inherited);
      i = eol;
      continue;
    }
    const key = rest.slice(0, sep).trim();
    if (!KEY.test(key)) fail(lineStart, `unexpected character "${(/[^A-Za-z0-9_.-]/.exec(key) ?? [' '])[0]}" in variable name near "${rest}"`);
    i = i + sep + 1;
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
    const quote = text[i];
    if (quote === "'" || quote === '"') {
      let j = i + 1;
      let raw = '';
      for (; j < text.length; j++) {
        const c = text[j] as string;
        if (c === '\\' && j + 1 < text.length && (text[j + 1] === quote || (quote === '"' && text[j + 1] === '\\'))) {
          raw += quote === '"' ? `\\${text[j + 1]}` : (text[j + 1] as string);
          j++;
          continue;
        }
        if (c === quote) break;
        raw += c;
      }
      if (j >= text.length) fail(lineStart, `unterminated quoted value for ${key}`);
      let value = raw;
      if (quote === '"') value = expand(unescapeDouble(raw), lineStart);
      vars.set(key, value);
      // Anything after the closing quote must be a comment or blank.
      let after = text.indexOf('\n', j);
      if (after === -1) after = text.length;
      const trailing = text.slice(j + 1, after).trim();
      if (trailing !== '' && !trailing.startsWith('#')) fail(lineStart, `unexpected text after the quoted value of ${key}: "${trailing}"`);
      i = after;
      continue;
    }
    let valueEnd = text.indexOf('\n', i);
    if (valueEnd === -1) valueEnd = text.length;
    let value = text.slice(i, valueEnd);
    const comment = value.search(/[ \t]#/);
    if (comment !== -1) value = value.slice(0, comment);
    else if (value.startsWith('#')) value = '';
    vars.set(key, expand(value.trim(), lineStart));
    i = valueEnd;
  }
  return vars;
}

function unescapeDouble(raw: string): string {
  return raw.replace(/\\(.)/g, (_, c: string) => {
    switch (c) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '"':
        return '"';
      case '\\':
        return '\\';
      case '$':
        return '$$';
      default:
        return `\\${c}`;
    }
  });
}

/** `env_file` with `format: raw`: KEY=rest of the line, nothing interpreted. */
export function parseRawEnvFile(input: string, file: string): Map<string, string> {
  const vars = new Map<string, string>();
  const lines = stripBom(input).replace(/\r\n?/g, '\n').split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = (eq === -1 ? line : line.slice(0, eq)).trim();
    if (!KEY.test(key)) {
      throw new ComposeFileError('TSC_DOTENV_INVALID', `invalid variable name "${key}"`, { location: { file, line: index + 1, column: 1 } });
    }
    vars.set(key, eq === -1 ? '' : line.slice(eq + 1));
  });
  return vars;
}
