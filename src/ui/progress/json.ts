/**
 * `--progress json`: one JSON object per event line with docker compose's
 * field names (`id`, `parent_id`, `status` as Working/Done/Warning/Error,
 * `text`, `details`, `current`, `total`, `percent`; empty ones left out as
 * compose's omitempty does), plus `time` (ISO 8601), which compose lacks.
 */
import { composeStatus, percentOf } from '../../events/progress.js';
import type { EventProcessor, ProgressEvent } from '../../events/progress.js';

export interface JsonProgressMessage {
  'dry-run'?: true;
  id: string;
  parent_id?: string;
  status: 'Working' | 'Done' | 'Warning' | 'Error';
  text?: string;
  details?: string;
  current?: number;
  total?: number;
  percent?: number;
  time: string;
}

export function toJsonMessage(e: ProgressEvent, dryRun = false): JsonProgressMessage {
  const m: Partial<JsonProgressMessage> = {};
  if (dryRun) m['dry-run'] = true;
  m.id = e.id;
  if (e.parentId) m.parent_id = e.parentId;
  m.status = composeStatus(e.status);
  if (e.text) m.text = e.text;
  if (e.details) m.details = e.details;
  if (e.current) m.current = e.current;
  if (e.total) m.total = e.total;
  const percent = percentOf(e);
  if (percent) m.percent = percent;
  m.time = new Date(e.time).toISOString();
  return m as JsonProgressMessage;
}

export class JsonProgress implements EventProcessor {
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly dryRun = false,
  ) {}
  start(_title?: string): void {}
  on(...events: ProgressEvent[]): void {
    for (const e of events) this.out.write(`${JSON.stringify(toJsonMessage(e, this.dryRun))}\n`);
  }
  done(_error?: Error): void {}
}
