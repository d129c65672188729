/**
 * The engine's API as data: what the CLI sends and what comes back. Requests
 * are JSON bodies; long operations answer with a stream of newline-delimited
 * JSON messages (progress, logs, events) ending in `result` or `error`.
 */
import type { Project } from '../../compose/model.js';
import type { ProgressEvent } from '../../events/progress.js';
import type { TimelineEntry } from '../../ui/timeline.js';

export interface SerializedError {
  code: string;
  category: string;
  message: string;
  service?: string | undefined;
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
