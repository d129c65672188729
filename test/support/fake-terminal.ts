/**
 * A Writable that stands in for a terminal: `isTTY`, `columns`, `rows`, and
 * a tiny interpreter of the escapes the tty renderer writes (cursor up,
 * erase line, erase below, carriage return, SGR colors), so tests read what
 * a user would see.
 */
import { Writable } from 'node:stream';

export class FakeTerminal extends Writable {
  readonly isTTY = true;
  raw = '';
  private lines: string[] = [''];
  private row = 0;
  private col = 0;

  constructor(
    public columns = 80,
    public rows = 24,
  ) {
    super({ decodeStrings: false });
  }

  override _write(chunk: unknown, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : String(chunk);
    this.raw += text;
    this.feed(text);
    cb();
  }

  /** Screen (and scrollback) lines, colors stripped, trailing spaces trimmed, trailing empty lines dropped. */
  screen(): string[] {
    const out = this.lines.map((l) => l.trimEnd());
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    return out;
  }

  private feed(text: string): void {
    let i = 0;
    while (i < text.length) {
      const ch = text[i] as string;
      if (ch === '\x1b') {
         
        const m = /^\x1b\[([0-9;?]*)([A-Za-z])/.exec(text.slice(i));
        if (!m) throw new Error(`unknown escape at ${JSON.stringify(text.slice(i, i + 8))}`);
        this.escape(m[1] as string, m[2] as string);
        i += m[0].length;
        continue;
      }
      if (ch === '\n') {
        this.row++;
        this.col = 0;
        if (this.lines.length <= this.row) this.lines.push('');
      } else if (ch === '\r') this.col = 0;
      else {
        const line = (this.lines[this.row] ?? '').padEnd(this.col);
        this.lines[this.row] = line.slice(0, this.col) + ch + line.slice(this.col + 1);
        this.col++;
      }
      i += ch.length;
    }
  }

  private escape(args: string, cmd: string): void {
    if (cmd === 'm' || args.startsWith('?')) return;
    if (cmd === 'A') this.row = Math.max(0, this.row - Number(args || '1'));
    else if (cmd === 'K' && args === '2') this.lines[this.row] = '';
    else if (cmd === 'J') {
      this.lines[this.row] = (this.lines[this.row] ?? '').slice(0, this.col);
      this.lines.length = this.row + 1;
    } else throw new Error(`escape ${args}${cmd} not understood`);
  }
}

/** Collects what is written, for renderers without a terminal. */
export class Capture extends Writable {
  text = '';
  constructor() {
    super({ decodeStrings: false });
  }
  override _write(chunk: unknown, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.text += typeof chunk === 'string' ? chunk : String(chunk);
    cb();
  }
}
