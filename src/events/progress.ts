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
  Paused: 'Paused',
  Unpaused: 'Unpaused',
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
export const starting = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Starting, x);
export const started = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Started, x);
export const waiting = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Waiting, x);
export const healthy = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Healthy, x);
export const restarting = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Restarting, x);
export const restarted = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Restarted, x);
export const paused = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Paused, x);
export const unpaused = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Unpaused, x);
export const stopping = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Stopping, x);
export const stopped = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Stopped, x);
export const killed = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Killed, x);
export const removing = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Removing, x);
export const removed = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Removed, x);
export const pulling = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'working', StatusText.Pulling, x);
export const pulled = (id: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'done', StatusText.Pulled, x);
export const failed = (id: string, message: string, x?: EventExtras): ProgressEvent => progressEvent(id, 'error', StatusText.Error, { ...x, details: message });
/** 'Exited' is done for code 0 (a one-shot that succeeded) and an error otherwise, as compose shows it. */
export const exited = (id: string, code: number, x?: EventExtras): ProgressEvent =>
  progressEvent(id, code === 0 ? 'done' : 'error', StatusText.Exited, { ...x, details: x?.details ?? (code === 0 ? undefined : `exit code ${code}`) });
