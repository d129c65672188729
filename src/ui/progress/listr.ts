/**
 * The terminal display of `up`/`down`/`pull` as a listr2 task list: one task
 * per resource (container, network, volume, image), the title carrying
 * compose's status text, the details (the dependency waited for, an error)
 * and bytes with speed while pulling; an image's layers are lines under its
 * task (listr2's task output), one per layer, for as long as the pull runs.
 *
 * Resources appear one by one, in any order, as the engine reports them, but
 * listr2 runs the tasks it holds when `run()` starts. So the list is started
 * with one untitled task (not drawn) that keeps it open until `done()`, and
 * each new resource is added and started on the running list (listr2's own
 * per-task step, the one `run()` takes for its initial tasks). A resource's
 * task finishes on its final status; a final status closely followed by more
 * work on the same resource (Stopped, then Removing) keeps the row going, so
 * a `down` shows one row per container, as compose does.
 *
 * listr2 draws on the stream given here (stderr), not on process.stdout, so
 * attached logs on stdout are never captured; it registers no signal handler
 * (Ctrl-C is the command's), and the last frame stays on the screen.
 */
import { DefaultRenderer, Listr, ListrLogger, ProcessOutput, PRESET_TIMER } from 'listr2';
import type { ListrTask, ListrTaskWrapper } from 'listr2';
import { isFinal } from '../../events/progress.js';
import type { EventProcessor, ProgressEvent, ResourceStatus } from '../../events/progress.js';
import { transferText } from './format.js';
import { formatSize } from '../units.js';

/** The default renderer, allowed on any stream we decided is a terminal (listr2 would only check process.stdout). */
class StreamRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

type AnyListr = Listr<object, typeof StreamRenderer, typeof StreamRenderer>;
type Wrapper = ListrTaskWrapper<object, typeof StreamRenderer, typeof StreamRenderer>;

/** How long a finished row waits for more work on the same resource before it shows as finished. */
const SETTLE_MS = 150;

interface Row {
  id: string;
  status: ResourceStatus;
  text: string;
  details: string | undefined;
  current: number;
  total: number;
  firstSample: { time: number; current: number } | undefined;
  lastSample: { time: number; current: number } | undefined;
  wrapper: Wrapper | undefined;
  finish: (() => void) | undefined;
  fail: ((err: Error) => void) | undefined;
  settle: NodeJS.Timeout | undefined;
  ended: boolean;
  /** Rows shown under this one (an image's layers), by id. */
  children: Map<string, Row>;
}

export interface ListrProgressOptions {
  color: boolean;
}

export class ListrProgress implements EventProcessor {
  private readonly rows = new Map<string, Row>();
  private list: AnyListr | undefined;
  private running: Promise<unknown> | undefined;
  private closeList: (() => void) | undefined;
  private finished = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly opts: ListrProgressOptions,
  ) {}

  start(_title: string): void {
    if (this.list) return;
    const open = new Promise<void>((resolve) => {
      this.closeList = resolve;
    });
    this.list = this.newList([{ task: () => open }]);
    this.running = this.list.run().catch(() => undefined);
  }

  on(...events: ProgressEvent[]): void {
    if (this.finished) {
      // After the display ended, late events become plain lines below it, as compose prints them.
      for (const e of events) this.out.write(`${e.id} ${e.text}${e.details ? ` ${e.details}` : ''}\n`);
      return;
    }
    if (!this.list) this.start('');
    for (const e of events) this.apply(e);
  }

  done(error?: Error): void {
    if (this.finished) return;
    this.finished = true;
    for (const row of this.rows.values()) {
      if (row.ended) continue;
      if (isFinal(row.status) || !error) this.end(row);
      else this.end(row, error);
    }
    this.closeList?.();
  }

  /** Resolves when listr2 has drawn its last frame (tests; the CLI lets the event loop finish it). */
  async settled(): Promise<void> {
    await this.running;
  }

  private newList(tasks: ListrTask<object, typeof StreamRenderer, typeof StreamRenderer>[]): AnyListr {
    const options = {
      concurrent: true,
      exitOnError: false,
      collectErrors: false as const,
      registerSignalListeners: false,
      renderer: StreamRenderer,
      fallbackRenderer: StreamRenderer,
      rendererOptions: {
        logger: new ListrLogger({ processOutput: new ProcessOutput(this.out as NodeJS.WriteStream, this.out as NodeJS.WriteStream, { dump: ['stderr'], leaveEmptyLine: false }) }),
        collapseSubtasks: false,
        collapseErrors: false,
        showErrorMessage: true,
        timer: PRESET_TIMER,
        ...(this.opts.color ? {} : { color: {}, icon: {} }),
      },
    };
    return new Listr(tasks, options);
  }

  private apply(e: ProgressEvent): void {
    const parentRow = e.parentId !== undefined ? this.rows.get(e.parentId) : undefined;
    const child = parentRow?.children.get(e.id);
    if (parentRow && child) {
      this.updateChild(parentRow, child, e);
      return;
    }
    let row = this.rows.get(e.id);
    if (row && row.ended) {
      // The resource came back after its row finished long ago: a new row, as compose prints a new line.
      this.rows.delete(e.id);
      row = undefined;
    }
    if (!row) {
      row = {
        id: e.id,
        status: e.status,
        text: e.text,
        details: e.details,
        current: 0,
        total: 0,
        firstSample: undefined,
        lastSample: undefined,
        wrapper: undefined,
        finish: undefined,
        fail: undefined,
        settle: undefined,
        ended: false,
        children: new Map(),
      };
      const parent = e.parentId !== undefined ? this.rows.get(e.parentId) : undefined;
      if (parent && !parent.ended) {
        parent.children.set(e.id, row);
        this.updateChild(parent, row, e);
        return;
      }
      this.rows.set(e.id, row);
      this.addTask(row);
    }
    row.status = e.status;
    row.text = e.text;
    row.details = e.details;
    if (e.total !== undefined) row.total = e.total;
    if (e.current !== undefined) {
      row.current = e.current;
      row.lastSample = { time: e.time, current: e.current };
      row.firstSample ??= row.lastSample;
    }
    if (row.settle) {
      clearTimeout(row.settle);
      row.settle = undefined;
    }
    this.retitle(row);
    if (isFinal(e.status)) {
      row.settle = setTimeout(() => this.end(row), SETTLE_MS);
      row.settle.unref();
    }
  }

  private addTask(row: Row): void {
    const task: ListrTask<object, typeof StreamRenderer, typeof StreamRenderer> = {
      title: this.title(row),
      task: (_ctx, wrapper) =>
        new Promise<void>((resolve, reject) => {
          row.wrapper = wrapper;
          row.finish = resolve;
          row.fail = reject;
          this.retitle(row);
          this.showChildren(row);
          // listr2 starts a task a little after it is added: the resource may have finished meanwhile.
          if (row.ended) {
            row.ended = false;
            this.end(row);
          }
        }),
      // Layer lines stay under their image in the last frame, as compose leaves them.
      rendererOptions: { persistentOutput: true },
    };
    if (this.list) startOn(this.list, task);
  }

  /** A layer line under its image: its status, bytes and speed; gone with the image's row. */
  private updateChild(parent: Row, child: Row, e: ProgressEvent): void {
    child.status = e.status;
    child.text = e.text;
    child.details = e.details;
    if (e.total !== undefined) child.total = e.total;
    if (e.current !== undefined) {
      child.current = e.current;
      child.lastSample = { time: e.time, current: e.current };
      child.firstSample ??= child.lastSample;
    }
    this.showChildren(parent);
  }

  private showChildren(row: Row): void {
    if (row.wrapper && row.children.size > 0) row.wrapper.output = [...row.children.values()].map((c) => this.title(c)).join('\n');
  }

  private end(row: Row, error?: Error): void {
    if (row.ended) return;
    row.ended = true;
    if (row.settle) clearTimeout(row.settle);
    this.retitle(row);
    if (error ?? row.status === 'error') {
      row.fail?.(error ?? new Error(row.details ?? row.text));
      return;
    }
    if (row.status === 'warning') row.wrapper?.skip(this.title(row));
    row.finish?.();
  }

  private retitle(row: Row): void {
    if (row.wrapper) row.wrapper.title = this.title(row);
  }

  private title(row: Row): string {
    const speed = this.speed(row);
    const transfer =
      row.total > 0 && row.status === 'working' ? `${transferText({ current: row.current, total: row.total })}${speed !== undefined && speed > 0 ? ` ${formatSize(speed, 3)}/s` : ''}` : '';
    return [row.id, row.text, row.details, transfer].filter((part) => part !== undefined && part !== '').join(' ');
  }

  private speed(row: Row): number | undefined {
    const a = row.firstSample;
    const b = row.lastSample;
    if (!a || !b || b.time <= a.time) return undefined;
    return ((b.current - a.current) * 1000) / (b.time - a.time);
  }
}

/** Adds a task to a list that is already running and starts it, as listr2's run() does for the tasks it began with. */
function startOn(list: AnyListr, task: ListrTask<object, typeof StreamRenderer, typeof StreamRenderer>): void {
  list.add(task);
  const added = list.tasks[list.tasks.length - 1];
  const runTask = (list as unknown as { runTask: (t: unknown) => Promise<void> }).runTask.bind(list);
  void runTask(added).catch(() => undefined);
}
