/**
 * Progress as data (docker compose's EventProcessor contract): core code
 * emits events about resources; a renderer in ui/ decides how they look.
 * Pure types and helpers: no I/O, no clock unless the caller leaves the time out.
 *
 * Event contract (as compose's): events are ordered per resource, not
 * globally; consumers key on `id`. A resource goes through a fixed
 * progression (Creating → Created, Starting → Started, Waiting → Healthy |
 * Exited, Stopping → Stopped, Removing → Removed, Pulling → Pulled) and may
 * end early in 'error'.
 */
export type ResourceStatus = 'waiting' | 'working' | 'done' | 'error' | 'warning';

export const RESOURCE_STATUSES: readonly ResourceStatus[] = ['waiting', 'working', 'done', 'error', 'warning'];

export interface ProgressEvent {
  /** 'Container demo-web-1', 'Network demo_default', 'Volume demo_data', 'Image postgres'. */
  id: string;
  /** The row this one is shown under (an image layer under its image). */
  parentId?: string | undefined;
  status: ResourceStatus;
  /** 'Creating', 'Created', 'Starting', 'Started', 'Waiting', 'Healthy', 'Pulling', ... */
  text: string;
  /** 'waiting for db (service_healthy)', an error message, ... */
  details?: string | undefined;
  /** Bytes done and expected, for pulls. */
  current?: number | undefined;
  total?: number | undefined;
  /** Milliseconds since the epoch. */
  time: number;
}

export interface EventProcessor {
  start(title: string): void;
  on(...events: ProgressEvent[]): void;
  done(error?: Error): void;
}

/** The status texts compose uses; tools match on them, so they are stable. */
export const StatusText = {
  Creating: 'Creating',
  Created: 'Created',
  Recreate: 'Recreate',
  Recreated: 'Recreated',
  Starting: 'Starting',
  Started: 'Started',
  Running: 'Running',
  Waiting: 'Waiting',
  Healthy: 'Healthy',
  Exited: 'Exited',
  Restarting: 'Restarting',
  Restarted: 'Restarted',
  Stopping: 'Stopping',
  Stopped: 'Stopped',
  Killing: 'Killing',
  Killed: 'Killed',
  Removing: 'Removing',
  Removed: 'Removed',
  Pulling: 'Pulling',
  Pulled: 'Pulled',
  Downloading: 'Downloading',
  DownloadComplete: 'Download complete',
  Extracting: 'Extracting',
  PullComplete: 'Pull complete',
  Skipped: 'Skipped',
  Error: 'Error',
} as const;

export type ResourceKind = 'Container' | 'Network' | 'Volume' | 'Image' | 'Secret' | 'Config';

/** `resourceId('Container', 'demo-web-1')` → 'Container demo-web-1', the id form renderers expect. */
export function resourceId(kind: ResourceKind, name: string): string {
  return `${kind} ${name}`;
}

/** A final status stops the row's clock and counts toward "n/m done". */
export function isFinal(status: ResourceStatus): boolean {
  return status === 'done' || status === 'error' || status === 'warning';
}

/** Compose's `StatusText()`: the `status` field of `--progress json`. A waiting resource is still work in progress. */
export function composeStatus(status: ResourceStatus): 'Working' | 'Done' | 'Warning' | 'Error' {
  switch (status) {
    case 'done':
      return 'Done';
    case 'warning':
      return 'Warning';
    case 'error':
      return 'Error';
    case 'working':
    case 'waiting':
      return 'Working';
    default: {
      const unknown: never = status;
      throw new Error(`unknown resource status ${String(unknown)}`);
    }
  }
}

/** Whole percent of a transfer, or undefined when the total is not known. */
export function percentOf(e: Pick<ProgressEvent, 'current' | 'total'>): number | undefined {
  if (!e.total || e.total <= 0) return undefined;
  return Math.max(0, Math.min(100, Math.floor(((e.current ?? 0) * 100) / e.total)));
}

export interface EventExtras {
  parentId?: string | undefined;
  details?: string | undefined;
  current?: number | undefined;
  total?: number | undefined;
  time?: number | undefined;
}

/** Builds an event, leaving out the optional fields that are not set (so JSON lines stay small). */
export function progressEvent(id: string, status: ResourceStatus, text: string, extras: EventExtras = {}): ProgressEvent {
  const e: ProgressEvent = { id, status, text, time: extras.time ?? Date.now() };
  if (extras.parentId !== undefined) e.parentId = extras.parentId;
  if (extras.details !== undefined && extras.details !== '') e.details = extras.details;
  if (extras.current !== undefined) e.current = extras.current;
  if (extras.total !== undefined) e.total = extras.total;
  return e;
}

// The common steps, named as compose names them, so emitters do not spell texts by hand.
export const creating = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Creating, x);
export const created = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Created, x);
export const recreating = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Recreate, x);
export const recreated = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Recreated, x);
export const starting = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Starting, x);
export const started = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Started, x);
export const running = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Running, x);
export const waiting = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Waiting, x);
export const healthy = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Healthy, x);
export const stopping = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Stopping, x);
export const stopped = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Stopped, x);
export const killing = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Killing, x);
export const killed = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Killed, x);
export const removing = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Removing, x);
export const removed = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Removed, x);
export const pulling = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Pulling, x);
export const pulled = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Pulled, x);
export const skipped = (id: string, reason: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'warning', StatusText.Skipped, { ...x, details: reason });
export const failed = (id: string, message: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'error', StatusText.Error, { ...x, details: message });
/** 'Exited' is done for code 0 (a one-shot that succeeded) and an error otherwise, as compose shows it. */
export const exited = (id: string, code: number, x?: EventExtras): ProgressEvent =>
  progressEvent(id, code === 0 ? 'done' : 'error', StatusText.Exited, { ...x, details: x?.details ?? (code === 0 ? undefined : `exit code ${code}`) });

function optionalString(v: unknown): v is string | undefined {
  return v === undefined || typeof v === 'string';
}

function optionalNumber(v: unknown): v is number | undefined {
  return v === undefined || (typeof v === 'number' && Number.isFinite(v));
}

/** Checks a value that crossed a process boundary (the engine's NDJSON stream). */
export function isProgressEvent(v: unknown): v is ProgressEvent {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e['id'] === 'string' &&
    typeof e['text'] === 'string' &&
    RESOURCE_STATUSES.includes(e['status'] as ResourceStatus) &&
    typeof e['time'] === 'number' &&
    optionalString(e['parentId']) &&
    optionalString(e['details']) &&
    optionalNumber(e['current']) &&
    optionalNumber(e['total'])
  );
}

/** Sends every event to several processors (a display and a recorder, say). */
export class FanOutProcessor implements EventProcessor {
  private readonly targets: EventProcessor[];
  constructor(...targets: EventProcessor[]) {
    this.targets = targets;
  }
  start(title: string): void {
    for (const t of this.targets) t.start(title);
  }
  on(...events: ProgressEvent[]): void {
    for (const t of this.targets) t.on(...events);
  }
  done(error?: Error): void {
    for (const t of this.targets) t.done(error);
  }
}

/** Keeps what it is told: for tests, and for an engine that replays events to a late client. */
export class RecordingProcessor implements EventProcessor {
  title: string | undefined;
  readonly events: ProgressEvent[] = [];
  finished = false;
  error: Error | undefined;
  start(title: string): void {
    this.title = title;
  }
  on(...events: ProgressEvent[]): void {
    this.events.push(...events);
  }
  done(error?: Error): void {
    this.finished = true;
    this.error = error;
  }
  /** The last event of each resource, in first-seen order. */
  latest(): ProgressEvent[] {
    const byId = new Map<string, ProgressEvent>();
    for (const e of this.events) byId.set(e.id, e);
    return [...byId.values()];
  }
}
