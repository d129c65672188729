/** One line per event, for logs and pipes: `Container demo-web-1  Started`. */
import type { EventProcessor, ProgressEvent } from '../../events/progress.js';

export class PlainProgress implements EventProcessor {
  constructor(private readonly out: NodeJS.WritableStream) {}
  start(): void {}
  on(...events: ProgressEvent[]): void {
    for (const e of events) this.out.write(` ${e.id} ${e.text}${e.details ? ` ${e.details}` : ''}\n`);
  }
  done(): void {}
}

/** One JSON object per line, docker compose's `--progress json` fields. */
export class JsonProgress implements EventProcessor {
  constructor(private readonly out: NodeJS.WritableStream) {}
  start(): void {}
  on(...events: ProgressEvent[]): void {
    for (const e of events) {
      this.out.write(
        `${JSON.stringify({ id: e.id, ...(e.parentId ? { parent_id: e.parentId } : {}), status: e.text, text: e.details ?? '', ...(e.total ? { current: e.current ?? 0, total: e.total } : {}), timestamp: e.time })}\n`,
      );
    }
  }
  done(): void {}
}

export class QuietProgress implements EventProcessor {
  start(): void {}
  on(): void {}
  done(): void {}
}
