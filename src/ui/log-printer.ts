/**
 * Service output the way docker compose prints it: `web-1  | text`, names
 * aligned, a stable color per service, partial lines joined.
 */
const PALETTE = ['36', '33', '32', '35', '34', '96', '93', '92', '95', '94'];

function colorIndex(service: string): number {
  let h = 0;
  for (const ch of service) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % PALETTE.length;
}

/** `proj-web-1` → `web-1` as compose shows it (the project prefix dropped). */
export function displayName(container: string): string {
  const m = /^[^-]+(?:-[^-]+)*?-([^-]+-\d+)$/.exec(container);
  return m ? (m[1] as string) : container;
}

export interface LogPrinterOptions {
  out: NodeJS.WritableStream;
  names: string[];
  color: boolean;
  prefix: boolean;
  timestamps: boolean;
}

export class LogPrinter {
  private width = 0;
  private readonly partial = new Map<string, string>();

  constructor(private readonly opts: LogPrinterOptions) {
    for (const n of opts.names) this.addName(n);
  }

  addName(name: string): void {
    this.width = Math.max(this.width, displayName(name).length);
  }

  /** `text` may hold several lines; a trailing piece without newline waits for its end. */
  print(name: string, _stream: 'stdout' | 'stderr', text: string, time?: string): void {
    this.addName(name);
    const buffered = (this.partial.get(name) ?? '') + text;
    const parts = buffered.split('\n');
    const rest = parts.pop() ?? '';
    if (rest) this.partial.set(name, rest);
    else this.partial.delete(name);
    for (const line of parts) this.opts.out.write(`${this.prefixFor(name)}${this.opts.timestamps && time ? `${time} ` : ''}${line}\n`);
  }

  private prefixFor(name: string): string {
    if (!this.opts.prefix) return '';
    const shown = displayName(name);
    const service = shown.replace(/-\d+$/, '');
    const text = `${shown.padEnd(this.width)}  | `;
    return this.opts.color ? `\x1b[${PALETTE[colorIndex(service)]}m${text}\x1b[0m` : text;
  }
}
