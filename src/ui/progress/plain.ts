/**
 * `--progress plain` (and `auto` without a terminal): one timestamped line
 * per event, for logs and pipes:
 * `2026-11-22T12:00:00Z Container demo-web-1 Started`.
 */
import type { EventProcessor, ProgressEvent } from '../../events/progress.js';
import { isoSeconds, transferText } from './format.js';

/** Transfer updates of one resource closer together than this collapse into one line. */
const TRANSFER_LINE_INTERVAL_MS = 1000;

export class PlainProgress implements EventProcessor {
  /** What was last printed per resource, to thin out byte-count updates. */
  private readonly last = new Map<string, { text: string; details: string | undefined; time: number }>();

  constructor(private readonly out: NodeJS.WritableStream) {}

  start(_title?: string): void {}

  on(...events: ProgressEvent[]): void {
    for (const e of events) {
      if (this.isRepeatedTransfer(e)) continue;
      this.last.set(e.id, { text: e.text, details: e.details, time: e.time });
      const transfer = transferText(e);
      this.out.write(`${isoSeconds(e.time)} ${e.id} ${e.text}${transfer ? ` ${transfer}` : ''}${e.details ? ` ${e.details}` : ''}\n`);
    }
  }

  done(_error?: Error): void {}

  /** A pull sends many byte counts; a pipe gets one a second per resource, and always the last. */
  private isRepeatedTransfer(e: ProgressEvent): boolean {
    if (e.status !== 'working' || !e.total || (e.current ?? 0) >= e.total) return false;
    const prev = this.last.get(e.id);
    return prev !== undefined && prev.text === e.text && prev.details === e.details && e.time - prev.time < TRANSFER_LINE_INTERVAL_MS;
  }
}
