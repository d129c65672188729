/**
 * The engine's API as data: what the CLI sends and what comes back. Requests
 * are JSON bodies; long operations answer with a stream of newline-delimited
 * JSON messages (progress, logs, events) ending in `result` or `error`.
 */
import type { Project } from '../../compose/model.js';
import type { ProgressEvent } from '../../events/progress.js';
import type { TimelineEntry } from '../../events/timeline.js';
import { SyscallError, TscComposeError, fromSystemError, isErrorCode, isTscComposeError } from '../../errors/index.js';
import type { SourceLocation } from '../../errors/index.js';

/** An error as it crosses the socket: everything the CLI needs to print it as the engine would. */
export interface SerializedError {
  code: string;
  category: string;
  message: string;
  service?: string | undefined;
  location?: SourceLocation | undefined;
  keyPath?: string | undefined;
  /** A failed system call: which, and its errno (the name is in the code). */
  syscall?: string | undefined;
  errno?: number | undefined;
}

/** The engine's side: any thrown value becomes a SerializedError (a system error keeps its errno; anything else is internal). */
export function serializeError(raw: unknown): SerializedError {
  const err = fromSystemError(raw) ?? raw;
  if (!isTscComposeError(err)) return { code: 'TSC_INTERNAL', category: 'internal', message: err instanceof Error ? err.message : String(err) };
  return {
    code: err.code,
    category: err.category,
    message: err.message,
    ...(err.service ? { service: err.service } : {}),
    ...(err.location ? { location: err.location } : {}),
    ...(err.keyPath ? { keyPath: err.keyPath } : {}),
    ...(err instanceof SyscallError ? { syscall: err.syscall, errno: err.errno } : {}),
  };
}

/** The CLI's side: the same error again, as a typed one (a code this CLI does not know is an internal error). */
export function deserializeError(e: SerializedError): TscComposeError {
  const context = { service: e.service, location: e.location, keyPath: e.keyPath };
  if (e.syscall !== undefined && e.errno !== undefined) {
    const err = new SyscallError(e.syscall, e.errno, '', context);
    err.message = e.message;
    return err;
  }
  if (isErrorCode(e.code)) return new TscComposeError(e.code, e.message, context);
  return new TscComposeError('TSC_INTERNAL', `${e.code}: ${e.message}`, context);
}

export interface EngineEvent {
  time: string;
  type: string;
  id: string;
  name: string;
  project: string;
  service: string;
  attributes: Record<string, string>;
}

export interface LogMessage {
  container: string;
  service: string;
  stream: 'stdout' | 'stderr';
  time: string;
  text: string;
  partial?: boolean | undefined;
}

export type StreamMessage =
  | { type: 'progress'; event: ProgressEvent }
  | { type: 'warning'; message: string }
  | { type: 'log'; log: LogMessage }
  | { type: 'event'; event: EngineEvent }
  | { type: 'timeline'; entries: TimelineEntry[] }
  | { type: 'plan'; text: string }
  /** A subscription (events, logs) is in place: nothing after this is missed. */
  | { type: 'ready' }
  | { type: 'result'; value: unknown }
  | { type: 'error'; error: SerializedError };

export interface ProjectRef {
  project: Project;
  workingDir: string;
  configFiles: string[];
  /** Services left out by profiles: their containers are not orphans. */
  disabledServices?: string[] | undefined;
}

export interface UpOptions {
  services: string[];
  noStart?: boolean | undefined;
  forceRecreate?: boolean | undefined;
  noRecreate?: boolean | undefined;
  noDeps?: boolean | undefined;
  scale?: Record<string, number> | undefined;
  removeOrphans?: boolean | undefined;
  wait?: boolean | undefined;
  waitTimeoutS?: number | undefined;
  pull?: string | undefined;
  timeoutS?: number | undefined;
  dryRun?: boolean | undefined;
}

export interface DownOptions {
  volumes?: boolean | undefined;
  removeOrphans?: boolean | undefined;
  timeoutS?: number | undefined;
  rmi?: 'all' | 'local' | undefined;
}

export type ContainerAction = 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause' | 'rm';

export interface ActionRequest {
  projectName: string;
  /** Needed by start/restart of containers not created yet and by dependency order. */
  project?: Project | undefined;
  services: string[];
  action: ContainerAction;
  signal?: string | undefined;
  timeoutS?: number | undefined;
  force?: boolean | undefined;
  stopFirst?: boolean | undefined;
  volumes?: boolean | undefined;
  oneOff?: boolean | undefined;
}

export interface Publisher {
  URL: string;
  TargetPort: number;
  PublishedPort: number;
  Protocol: string;
}

/** `ps --format json` fields as Docker names them. */
export interface ContainerSummary {
  ID: string;
  Name: string;
  Names: string;
  Project: string;
  Service: string;
  Image: string;
  Command: string;
  State: string;
  Status: string;
  Health: string;
  ExitCode: number;
  Publishers: Publisher[];
  Labels: string;
  CreatedAt: string;
  RunningFor: string;
  Networks: string;
  LocalVolumes: string;
  Mounts: string;
  Size: string;
  RestartCount: number;
  Pid: number;
  Number: number;
  OneOff: boolean;
}

export interface ProjectSummary {
  Name: string;
  Status: string;
  ConfigFiles: string;
}

export interface LogsQuery {
  project: string;
  services: string[];
  follow: boolean;
  tail?: number | undefined;
  since?: string | undefined;
  until?: string | undefined;
  containers?: string[] | undefined;
}
