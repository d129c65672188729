/**
 * How `pull` shows the progress events of src/image/pull.ts.
 *
 * On a terminal: the listr2 task list `up` has (src/ui/progress/listr.ts), one
 * row per image with a line per layer under it showing its state, bytes and
 * speed.
 *
 * Otherwise (a pipe, a log, `--progress plain`): one line per layer event, as
 * `docker pull` prints without a terminal; byte counts are not repeated, the
 * first download line carries the size and the verify line the speed.
 */
import type { EventProcessor, ProgressEvent, ResourceStatus } from '../events/progress.js';
import { pulled, pulling, resourceId } from '../events/progress.js';
import type { LayerStatus, PullEvent } from '../image/pull.js';
import { createProgress, resolveProgressMode } from '../ui/progress/select.js';
import type { ProgressMode } from '../ui/progress/select.js';
import { formatSize } from '../ui/units.js';
import { unreachable } from '../errors/index.js';

export interface PullProgress {
  onEvent(event: PullEvent): void;
  /** Ends the display; an error marks what was still running as failed. */
  done(error?: Error): void;
}

/** Docker's words for each layer state (tools and people grep for them). */
const LAYER_TEXT: Record<LayerStatus, string> = {
  waiting: 'Waiting',
  downloading: 'Downloading',
  verifying: 'Verifying Checksum',
  extracting: 'Extracting',
  exists: 'Already exists',
  done: 'Pull complete',
};

const LAYER_STATUS: Record<LayerStatus, ResourceStatus> = {
  waiting: 'waiting',
  downloading: 'working',
  verifying: 'working',
  extracting: 'working',
  exists: 'done',
  done: 'done',
};

/** The same pull events as rows for the live display: `Image busybox:1` with its layers under it. */
export function toProgressEvent(e: PullEvent, time: number): ProgressEvent {
  const image = resourceId('Image', e.reference);
  if (e.layer === undefined) {
    const complete = e.status === 'complete';
    return complete ? pulled(image, { time }) : pulling(image, { time });
  }
  const status = e.status as LayerStatus;
  const event: ProgressEvent = { id: e.layer, parentId: image, status: LAYER_STATUS[status], text: LAYER_TEXT[status], time };
  // Finished rows show no byte counts (as compose); a download shows bytes so far of the total.
  if (status === 'downloading' || status === 'waiting') {
    event.current = e.current;
    event.total = e.total;
  }
  return event;
}

/** One line per layer event. */
export class PlainPullRenderer implements PullProgress {
  private readonly downloadStarted = new Map<string, number>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  onEvent(e: PullEvent): void {
    const line = this.format(e);
    if (line !== undefined) this.write(`${line}\n`);
  }

  /** The command reports a failure itself; a plain log needs no closing line. */
  done(_error?: Error): void {}

  /** The line for an event, or undefined for the repeated byte counts of a download. */
  format(e: PullEvent): string | undefined {
    if (e.layer === undefined) return `${e.reference}: ${e.status === 'complete' ? 'Pulled' : 'Pulling'}`;
    const key = `${e.reference} ${e.layer}`;
    const head = `${e.reference}: ${e.layer}: ${LAYER_TEXT[e.status as LayerStatus]}`;
    switch (e.status) {
      case 'waiting':
        return e.total !== undefined ? `${head} (${formatSize(e.total)})` : head;
      case 'downloading':
        if (this.downloadStarted.has(key)) return undefined;
        this.downloadStarted.set(key, this.now());
        return e.total !== undefined ? `${head} ${formatSize(e.total)}` : head;
      case 'verifying': {
        const started = this.downloadStarted.get(key);
        this.downloadStarted.delete(key);
        if (started === undefined || e.total === undefined) return head;
        const seconds = Math.max(this.now() - started, 1) / 1000;
        return `${head} (${formatSize(e.total)} in ${seconds.toFixed(1)}s, ${formatSize(e.total / seconds)}/s)`;
      }
      case 'extracting':
      case 'exists':
      case 'done':
      case 'resolved':
      case 'complete':
        return head;
      default:
        return unreachable(e.status);
    }
  }
}

/** Feeds pull events to one of the project's progress displays (tty, json). */
class DisplayPullRenderer implements PullProgress {
  private started = false;

  constructor(
    private readonly display: EventProcessor,
    private readonly now: () => number = Date.now,
  ) {}

  onEvent(e: PullEvent): void {
    if (!this.started) {
      this.started = true;
      this.display.start('Pulling');
    }
    this.display.on(toProgressEvent(e, this.now()));
  }

  done(error?: Error): void {
    if (this.started) this.display.done(error);
  }
}

/** The display `--progress` (auto: a terminal gets the live one) and `--quiet` ask for, on `out`. */
export function createPullProgress(out: NodeJS.WritableStream, opts: { mode?: ProgressMode; quiet?: boolean; color?: boolean } = {}): PullProgress {
  const mode = opts.quiet ? 'quiet' : resolveProgressMode(opts.mode ?? 'auto', out as NodeJS.WriteStream);
  switch (mode) {
    case 'quiet':
      return { onEvent: () => {}, done: () => {} };
    case 'plain':
      return new PlainPullRenderer((line) => out.write(line));
    case 'tty':
    case 'json':
      return new DisplayPullRenderer(createProgress(mode, out as NodeJS.WriteStream, { color: opts.color ?? true }));
    default:
      return unreachable(mode);
  }
}
