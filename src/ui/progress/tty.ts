/**
 * The terminal display of `up`/`down`/`pull`: one row per resource (spinner,
 * id, status text, details, bytes and speed, elapsed seconds), child rows
 * under their parent, redrawn in place; the last frame stays on screen.
 *
 * A small ANSI renderer rather than listr2: listr2 runs the tasks it holds
 * when `run()` starts (a task added later stays WAITING and never renders
 * as running), while resources here appear one by one, in any order, keyed
 * by id; it also decides TTY support and width from the global
 * process.stdout (this display writes to stderr) and takes over
 * process.stdout/stderr while it renders, which would swallow attached logs.
 */
import { isFinal, percentOf } from '../../events/progress.js';
import type { EventProcessor, ProgressEvent, ResourceStatus } from '../../events/progress.js';
import { formatSize } from '../units.js';
import { transferText } from './format.js';

/** What the display needs of a terminal stream (a fake one in tests). */
export interface TtyStream {
  write(chunk: string): unknown;
  columns?: number | undefined;
  rows?: number | undefined;
}

export interface TtyProgressOptions {
  color: boolean;
  /** Clock in ms (tests pin it). */
  now?: (() => number) | undefined;
  /** Redraw period; 0 = redraw on every event instead of on a timer. */
  refreshMs?: number | undefined;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
/** Per-child completion as compose shows it under a pulling image: one cell per layer. */
const PERCENT_CHARS = ['⠀', '⡀', '⣀', '⣄', '⣤', '⣦', '⣶', '⣷', '⣿'];

const ESC = '\x1b[';
const HIDE_CURSOR = `${ESC}?25l`;
const SHOW_CURSOR = `${ESC}?25h`;
const ERASE_LINE = `${ESC}2K`;
const ERASE_BELOW = `${ESC}J`;

interface Row {
  id: string;
  parentId: string | undefined;
  status: ResourceStatus;
  text: string;
  details: string | undefined;
  current: number;
  total: number;
  startedAt: number;
  endedAt: number | undefined;
  /** First and latest byte counts with their times, for the speed. */
  firstSample: { time: number; current: number } | undefined;
  lastSample: { time: number; current: number } | undefined;
}

/** Visible width: escapes do not count, every code point is one cell (ids and texts are narrow). */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')].length;
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 3) return chars.slice(0, Math.max(0, max)).join('');
  return `${chars.slice(0, max - 3).join('')}...`;
}

export class TtyProgress implements EventProcessor {
  private readonly rows = new Map<string, Row>();
  private title = '';
  private started = false;
  private finished = false;
  private drawn = 0;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly color: boolean;
  private readonly now: () => number;
  private readonly refreshMs: number;

  constructor(
    private readonly out: TtyStream,
    opts: TtyProgressOptions | boolean,
  ) {
    const o = typeof opts === 'boolean' ? { color: opts } : opts;
    this.color = o.color;
    this.now = o.now ?? Date.now;
    this.refreshMs = o.refreshMs ?? 100;
  }

  start(title: string): void {
    this.title = title;
    if (this.started) return;
    this.started = true;
    if (this.refreshMs > 0) {
      this.timer = setInterval(() => this.draw(), this.refreshMs);
      this.timer.unref();
    }
  }

  on(...events: ProgressEvent[]): void {
    if (this.finished) {
      // After the display ended, late events become plain lines below it, as compose prints them.
      for (const e of events) this.out.write(`${e.id} ${this.paintStatus(e.status, e.text)}${e.details ? ` ${e.details}` : ''}\n`);
      return;
    }
    if (!this.started) this.start(this.title);
    for (const e of events) this.apply(e);
    this.dirty = true;
    if (this.refreshMs === 0) this.draw();
  }

  done(error?: Error): void {
    if (this.finished) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Clocks of rows still running stop where the operation stopped.
    if (error) for (const r of this.rows.values()) if (!isFinal(r.status)) r.endedAt = this.now();
    this.dirty = true;
    this.draw(true);
    this.finished = true;
  }

  /** The lines of the current frame, without cursor movement (what the terminal shows). */
  frame(final = false): string[] {
    const width = Math.max(20, this.out.columns || 80);
    const height = this.out.rows || 0;
    const all = [...this.rows.values()];
    const doneCount = all.filter((r) => isFinal(r.status)).length;
    const lines = [`[+] ${this.title ? `${this.title} ` : ''}${doneCount}/${all.length}`];
    const topLevel = all.filter((r) => r.parentId === undefined || !this.rows.has(r.parentId));
    // As compose: child rows are dropped while they would not fit the screen; the final frame has them all.
    const skipChildren = !final && height > 0 && all.length > height - 2;
    const idWidth = Math.max(0, ...topLevel.map((r) => visibleLength(this.label(r))));
    for (const r of topLevel) {
      lines.push(this.line(r, '', width, idWidth));
      if (skipChildren) continue;
      for (const child of this.childrenOf(r.id)) lines.push(this.line(child, '  ', width, idWidth - 2));
    }
    // Top-level rows alone can outgrow the screen: keep the newest ones live, the final frame prints all.
    if (!final && height > 2 && lines.length > height - 1) return [lines[0] as string, ...lines.slice(lines.length - (height - 2))];
    return lines;
  }

  private apply(e: ProgressEvent): void {
    const row = this.rows.get(e.id);
    if (!row) {
      this.rows.set(e.id, {
        id: e.id,
        parentId: e.parentId,
        status: e.status,
        text: e.text,
        details: e.details,
        current: e.current ?? 0,
        total: e.total ?? 0,
        startedAt: e.time,
        endedAt: isFinal(e.status) ? e.time : undefined,
        firstSample: e.total ? { time: e.time, current: e.current ?? 0 } : undefined,
        lastSample: e.total ? { time: e.time, current: e.current ?? 0 } : undefined,
      });
      return;
    }
    // A row keeps its first parent: a layer shared by two images would otherwise flicker between them.
    if (e.parentId !== undefined && row.parentId !== undefined && e.parentId !== row.parentId) return;
    if (isFinal(e.status)) {
      if (!isFinal(row.status) || row.endedAt === undefined) row.endedAt = e.time;
    } else row.endedAt = undefined;
    if (e.text !== row.text) {
      // A new phase (Downloading → Extracting) counts its own bytes.
      row.current = 0;
      row.firstSample = undefined;
    }
    row.status = e.status;
    row.text = e.text;
    row.details = e.details;
    if (e.total !== undefined && e.total > 0) row.total = e.total;
    if (e.current !== undefined) row.current = Math.max(row.current, e.current);
    if (e.total) {
      const sample = { time: e.time, current: row.current };
      row.firstSample ??= sample;
      row.lastSample = sample;
    }
  }

  private childrenOf(id: string): Row[] {
    return [...this.rows.values()].filter((r) => r.parentId === id);
  }

  private label(r: Row): string {
    const children = this.childrenOf(r.id);
    if (children.length === 0 || r.status !== 'working') return r.id;
    const cells = children.map((c) => PERCENT_CHARS[Math.floor(((PERCENT_CHARS.length - 1) * (isFinal(c.status) ? 100 : (percentOf(c) ?? 0))) / 100)] as string);
    return `${r.id} [${this.paint('32', cells.join(''))}]`;
  }

  /** Bytes and speed of the row, or summed over its children while they transfer. */
  private transfer(r: Row): string {
    const children = this.childrenOf(r.id);
    if (children.length > 0 && r.status === 'working') {
      const working = children.filter((c) => c.status === 'working');
      // Like compose: no sum while some child's size is still unknown.
      if (working.some((c) => c.total === 0)) return '';
      const total = children.reduce((n, c) => n + c.total, 0);
      if (total === 0) return '';
      const current = children.reduce((n, c) => n + (isFinal(c.status) && c.total ? c.total : c.current), 0);
      const speed = working.reduce((n, c) => n + (this.speed(c) ?? 0), 0);
      return `${transferText({ current, total })}${speed > 0 ? ` ${formatSize(speed, 3)}/s` : ''}`;
    }
    // A finished row's size says nothing more (compose shows none); a failed one shows how far it got.
    if (!r.total || r.status === 'done' || r.status === 'warning') return '';
    const speed = r.status === 'working' ? this.speed(r) : undefined;
    return `${transferText(r)}${speed ? ` ${formatSize(speed, 3)}/s` : ''}`;
  }

  private speed(r: Row): number | undefined {
    const a = r.firstSample;
    const b = r.lastSample;
    if (!a || !b || b.time <= a.time) return undefined;
    return ((b.current - a.current) * 1000) / (b.time - a.time);
  }

  private line(r: Row, indent: string, width: number, idWidth: number): string {
    const end = r.endedAt ?? (isFinal(r.status) ? r.startedAt : this.now());
    const timer = `${(Math.max(0, end - r.startedAt) / 1000).toFixed(1)}s `;
    const label = this.label(r);
    const pad = ' '.repeat(Math.max(0, idWidth - visibleLength(label)));
    const head = `${indent} ${this.mark(r)} ${label}${pad} `;
    const transfer = this.transfer(r);
    // Room for status text, transfer and details: the timer keeps its place at the right edge.
    let room = width - 1 - visibleLength(head) - timer.length - 1;
    const text = truncate(r.text, Math.max(0, room));
    room -= visibleLength(text);
    const extras = [transfer, r.details ?? ''].filter((s) => s !== '').join(' ');
    const tail = extras && room > 4 ? ` ${truncate(extras, room - 1)}` : '';
    const left = `${head}${this.paintStatus(r.status, text)}${tail}`;
    const gap = Math.max(1, width - 1 - visibleLength(left) - timer.length);
    return `${left}${' '.repeat(gap)}${this.paint('2', timer)}`;
  }

  private mark(r: Row): string {
    switch (r.status) {
      case 'done':
        return this.paint('32', '✔');
      case 'warning':
        return this.paint('33', '!');
      case 'error':
        return this.paint('31', '✘');
      case 'waiting':
        return this.paint('2', SPINNER[Math.floor(this.now() / 100) % SPINNER.length] as string);
      default:
        return SPINNER[Math.floor(this.now() / 100) % SPINNER.length] as string;
    }
  }

  private paintStatus(status: ResourceStatus, text: string): string {
    switch (status) {
      case 'done':
        return this.paint('32', text);
      case 'warning':
        return this.paint('33', text);
      case 'error':
        return this.paint('31', text);
      case 'waiting':
        return this.paint('2', text);
      default:
        return text;
    }
  }

  private paint(code: string, text: string): string {
    return this.color ? `${ESC}${code}m${text}${ESC}0m` : text;
  }

  private draw(final = false): void {
    if (!this.dirty && !final && this.rows.size === 0) return;
    if (this.rows.size === 0) return;
    this.dirty = false;
    const lines = this.frame(final);
    let text = HIDE_CURSOR;
    if (this.drawn > 0) text += `${ESC}${this.drawn}A`;
    text += '\r';
    for (const l of lines) text += `${ERASE_LINE}${l}\n`;
    text += ERASE_BELOW + SHOW_CURSOR;
    this.out.write(text);
    this.drawn = lines.length;
  }
}
