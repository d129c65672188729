/**
 * Progress as data (docker compose's EventProcessor contract): core code
 * emits events about resources; a renderer in ui/ decides how they look.
 */
export type ResourceStatus = 'waiting' | 'working' | 'done' | 'error' | 'warning';

export interface ProgressEvent {
  /** 'Container demo-web-1', 'Network demo_default', 'Volume demo_data', 'Image postgres'. */
  id: string;
  parentId?: string | undefined;
  status: ResourceStatus;
  /** 'Creating', 'Created', 'Starting', 'Started', 'Waiting', 'Healthy', 'Pulling', ... */
  text: string;
  details?: string | undefined;
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
