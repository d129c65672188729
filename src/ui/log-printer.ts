/**
 * Service output the way docker compose prints it: `web-1  | text`, names
 * padded to the longest name plus one, the whole prefix in the service's
 * color, partial lines held until their end.
 *
 * Colors: compose hands out its palette in the order containers appear, so a
 * service's color changes from run to run. Here the color comes from a hash of
 * the service name over the same palette, so `web` has the same color every time.
 */

/** compose's rainbow: cyan, yellow, green, magenta, blue, then their bold ("intense") forms. */
export const LOG_PALETTE: readonly string[] = ['36', '33', '32', '35', '34', '36;1', '33;1', '32;1', '35;1', '34;1'];

/** FNV-1a: small, stable across runs and Node versions. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The SGR code of a service's color. */
export function serviceColor(service: string): string {
  return LOG_PALETTE[hash(service) % LOG_PALETTE.length] as string;
}

/**
 * `demo-web-1` → `web-1` as compose shows it. With the project name known the
 * project prefix is cut exactly; without it, the last `<word>-<n>` is kept
 * (a `container_name` without a replica number is shown whole).
 */
export function displayName(container: string, project?: string): string {
  if (project !== undefined) {
    return container.startsWith(`${project}-`) && container.length > project.length + 1 ? container.slice(project.length + 1) : container;
  }
  const m = /^.+?-([^-]+-\d+)$/.exec(container);
  return m ? (m[1] as string) : container;
}

/** `web-1` → `web`: the key colors hang on, so every replica of a service shares one. */
export function serviceOf(shownName: string): string {
  return shownName.replace(/-\d+$/, '');
}

/** RFC 3339 with nine fraction digits, the form docker's `--timestamps` prints. */
export function rfc3339Nano(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** An ISO UTC time with any number of fraction digits, widened to nine; other text is left alone. */
export function normalizeTimestamp(time: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(time);
  return m ? `${m[1] as string}.${(m[2] ?? '').padEnd(9, '0')}Z` : time;
}

export interface LogPrinterOptions {
  out: NodeJS.WritableStream;
  /** Where stderr lines go (compose keeps the two apart); `out` when left out. */
  err?: NodeJS.WritableStream | undefined;
  /** Container names known up front, so the first lines are already aligned. */
  names: string[];
  color: boolean;
  /** false = `--no-log-prefix`. */
  prefix: boolean;
  timestamps: boolean;
  /** Cuts `<project>-` off container names exactly (otherwise guessed). */
  project?: string | undefined;
  /** Clock for lines that come without a time (tests). */
  now?: (() => Date) | undefined;
}

export class LogPrinter {
  private width = 0;
  private readonly known = new Set<string>();
  /** Unfinished line per container and stream. */
  private readonly partial = new Map<string, { name: string; stream: 'stdout' | 'stderr'; text: string; time: string | undefined }>();

  constructor(private readonly opts: LogPrinterOptions) {
    for (const n of opts.names) this.addName(n);
  }

  /** A container joined (a restart, a scale-up): later prefixes widen to fit it, as compose's do. */
  addName(name: string): void {
    if (this.known.has(name)) return;
    this.known.add(name);
    this.width = Math.max(this.width, displayName(name, this.opts.project).length);
  }

  /**
   * `text` may hold several lines; a trailing piece without newline waits for
   * the rest of its line (or `flush`). `time` is the record's timestamp as
   * the engine stored it; printed with `timestamps`.
   */
  print(name: string, stream: 'stdout' | 'stderr', text: string, time?: string): void {
    this.addName(name);
    const key = `${name}\0${stream}`;
    const held = this.partial.get(key);
    const buffered = (held?.text ?? '') + text;
    // A line takes the time of its first piece.
    const lineTime = held?.time ?? time;
    const parts = buffered.split('\n');
    const rest = parts.pop() as string;
    let first = true;
    for (const line of parts) {
      this.writeLine(name, stream, line, first ? lineTime : time);
      first = false;
    }
    if (rest !== '') this.partial.set(key, { name, stream, text: rest, time: parts.length > 0 ? time : lineTime });
    else this.partial.delete(key);
  }

  /** Prints what is held of unfinished lines (all, or one container's), e.g. when a container exits. */
  flush(name?: string): void {
    for (const [key, held] of [...this.partial]) {
      if (name !== undefined && held.name !== name) continue;
      this.partial.delete(key);
      this.writeLine(held.name, held.stream, held.text, held.time);
    }
  }

  /** A status line in the container's color, as compose's 'web-1 exited with code 0'. */
  status(name: string, message: string): void {
    this.addName(name);
    const text = `${displayName(name, this.opts.project)} ${message}`;
    this.opts.out.write(`${this.paint(name, text)}\n`);
  }

  /** The prefix for a container, colored when color is on; empty with `prefix: false`. */
  prefixFor(name: string): string {
    if (!this.opts.prefix) return '';
    // compose pads to the longest name plus one, then ' | '.
    return this.paint(name, `${displayName(name, this.opts.project).padEnd(this.width + 1)} | `);
  }

  private paint(name: string, text: string): string {
    if (!this.opts.color) return text;
    return `\x1b[${serviceColor(serviceOf(displayName(name, this.opts.project)))}m${text}\x1b[0m`;
  }

  private writeLine(name: string, stream: 'stdout' | 'stderr', line: string, time: string | undefined): void {
    const target = stream === 'stderr' && this.opts.err ? this.opts.err : this.opts.out;
    const stamp = this.opts.timestamps ? `${time !== undefined ? normalizeTimestamp(time) : rfc3339Nano(this.opts.now?.() ?? new Date())} ` : '';
    target.write(`${this.prefixFor(name)}${stamp}${line}\n`);
  }
}
