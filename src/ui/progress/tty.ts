/**
 * The terminal display: one row per resource, redrawn in place (a small ANSI
 * renderer: rows keyed by id, updated out of order, which is what compose's
 * display does; listr2's task model wants tasks declared up front).
 */
import type { EventProcessor, ProgressEvent } from '../../events/progress.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface Row {
  event: ProgressEvent;
  startedAt: number;
  endedAt?: number | undefined;
}

function bytes(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)}kB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)}MB`;
  return `${(n / 1024 ** 3).toFixed(2)}GB`;
}

export class TtyProgress implements EventProcessor {
  private readonly rows = new Map<string, Row>();
  private title = '';
  private drawn = 0;
  private tick = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly color: boolean,
  ) {}

  start(title: string): void {
    this.title = title;
    this.timer = setInterval(() => this.draw(), 100);
    this.timer.unref();
  }

  on(...events: ProgressEvent[]): void {
    for (const e of events) {
      const row = this.rows.get(e.id);
      if (!row) this.rows.set(e.id, { event: e, startedAt: e.time, endedAt: e.status === 'done' || e.status === 'error' ? e.time : undefined });
      else {
        row.event = e;
        row.endedAt = e.status === 'done' || e.status === 'error' ? e.time : undefined;
      }
    }
    this.draw();
  }

  done(): void {
    if (this.timer) clearInterval(this.timer);
    this.draw(true);
  }

  private paint(code: string, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  private draw(final = false): void {
    this.tick++;
    const width = this.out.columns ?? 80;
    const rows = [...this.rows.values()];
    const doneCount = rows.filter((r) => r.event.status === 'done').length;
    const now = Date.now();
    const lines = [`${this.paint('34', '[+]')} ${this.title} ${doneCount}/${rows.length}`];
    for (const r of rows) {
      const e = r.event;
      const mark =
        e.status === 'done' ? this.paint('32', '✔') : e.status === 'error' ? this.paint('31', '✘') : e.status === 'warning' ? this.paint('33', '!') : SPINNER[this.tick % SPINNER.length];
      const elapsed = `${(((r.endedAt ?? now) - r.startedAt) / 1000).toFixed(1)}s`;
      const progress = e.total ? ` ${bytes(e.current ?? 0)}/${bytes(e.total)}` : '';
      const indent = e.parentId ? '   ' : ' ';
      const left = `${indent}${mark} ${e.id} ${e.text}${progress}${e.details ? ` ${e.details}` : ''}`;
      const pad = Math.max(1, width - left.length - elapsed.length - 1);
      lines.push(`${left}${' '.repeat(pad)}${this.paint('2', elapsed)}`.slice(0, width + 20));
    }
    let text = '';
    if (this.drawn > 0) text += `\x1b[${this.drawn}A`;
    text += lines.map((l) => `\x1b[2K${l}`).join('\n');
    text += '\n';
    this.out.write(text);
    this.drawn = lines.length;
    if (final) this.drawn = 0;
  }
}
