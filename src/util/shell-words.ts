/**
 * The one shell-words splitter: mattn/go-shellwords' `Parse` with its defaults
 * (no environment expansion, no backtick execution). compose-go splits
 * `command:` and `entrypoint:` strings with it and docker compose splits
 * `run --entrypoint` with it, so a text gives the same words in a file and on
 * the command line.
 *
 * - Single and double quotes group; a backslash escapes the next character
 *   (`\t` and `\n` become tab and newline) except inside single quotes.
 * - `` `...` `` and `$(...)` are kept whole, as text: nothing is run.
 * - An unquoted `;`, `&`, `|`, `<` or `>` ends the line: go-shellwords stops
 *   there without an error, so the caller learns where (`ignoredFrom`) and
 *   can say that the rest is dropped.
 *
 * A line that cannot be split is a value, not an exception: go-shellwords has
 * one message for every case ("invalid command line string"), the `problem`
 * says which one it was.
 */

export interface ShellWords {
  words: string[];
  /** Offset (in UTF-16 units) of the unquoted operator where splitting stopped; absent when the whole line was read. */
  ignoredFrom?: number;
}

export type ShellWordsProblem =
  | 'unterminated single quote'
  | 'unterminated double quote'
  | 'unterminated backquote'
  | 'unterminated $('
  | 'trailing backslash'
  | 'unexpected ('
  | 'unexpected )';

export interface ShellWordsFailure {
  problem: ShellWordsProblem;
}

/** go-shellwords' message for every failure, as compose-go and docker compose print it. */
export const SHELL_WORDS_ERROR = 'invalid command line string';

/** `'none'`: between words; `'word'`/`'quoted'`: a word is open (a quoted one may be empty, `""`). */
type WordState = 'none' | 'word' | 'quoted';

export function splitShellWords(line: string): ShellWords | ShellWordsFailure {
  const words: string[] = [];
  let buf = '';
  let got: WordState = 'none';
  let escaped = false;
  let doubleQuoted = false;
  let singleQuoted = false;
  let backQuote = false;
  let dollarQuote = false;
  let stop: number | undefined;
  // Code points, as Go ranges over runes; `offset` follows in UTF-16 units for slicing `line`.
  const chars = [...line];
  let offset = 0;
  for (let i = 0; i < chars.length; offset += (chars[i] as string).length, i++) {
    let c = chars[i] as string;
    if (escaped) {
      escaped = false;
      if (backQuote || dollarQuote) {
        buf += `\\${c}`;
        got = 'word';
        continue;
      }
      if (c === 't') c = '\t';
      else if (c === 'n') c = '\n';
      buf += c;
      got = 'word';
      continue;
    }
    if (c === '\\') {
      if (singleQuoted) buf += c;
      else escaped = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (singleQuoted || doubleQuoted || backQuote || dollarQuote) buf += c;
      else if (got !== 'none') {
        words.push(buf);
        buf = '';
        got = 'none';
      }
      continue;
    }
    const quoted = singleQuoted || doubleQuoted || backQuote || dollarQuote;
    if (c === '`' && !singleQuoted && !doubleQuoted && !dollarQuote) {
      backQuote = !backQuote;
    } else if (c === ')' && !singleQuoted && !doubleQuoted && !backQuote) {
      if (!dollarQuote) return { problem: 'unexpected )' };
      dollarQuote = false;
    } else if (c === '(' && !singleQuoted && !doubleQuoted && !backQuote) {
      // Only `$(` opens a substitution; a bare or nested `(` is a syntax error, as in go-shellwords.
      if (dollarQuote || !buf.endsWith('$') || buf.endsWith('\\$')) return { problem: 'unexpected (' };
      dollarQuote = true;
      buf += c;
      continue;
    } else if (c === '"' && !singleQuoted && !dollarQuote && !backQuote) {
      if (doubleQuoted) got = 'quoted';
      doubleQuoted = !doubleQuoted;
      continue;
    } else if (c === "'" && !doubleQuoted && !dollarQuote && !backQuote) {
      if (singleQuoted) got = 'quoted';
      singleQuoted = !singleQuoted;
      continue;
    } else if (';&|<>'.includes(c) && !quoted) {
      // A redirection's file descriptor (`2>`) goes with it.
      if (c === '>' && buf !== '' && /^\d+$/.test(buf)) got = 'none';
      stop = offset;
      break;
    }
    got = 'word';
    buf += c;
  }
  if (got !== 'none') words.push(buf);
  // At most one quoting is open at a time: each kind is ignored inside the others.
  if (singleQuoted) return { problem: 'unterminated single quote' };
  if (doubleQuoted) return { problem: 'unterminated double quote' };
  if (backQuote) return { problem: 'unterminated backquote' };
  if (dollarQuote) return { problem: 'unterminated $(' };
  if (escaped) return { problem: 'trailing backslash' };
  return stop === undefined ? { words } : { words, ignoredFrom: stop };
}
