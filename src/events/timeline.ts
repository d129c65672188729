/** What the engine reports of a service's start, for the timeline `up` ends with (rendered by src/ui/timeline.ts). */
export interface TimelineEntry {
  name: string;
  createdAt?: number | undefined;
  startedAt?: number | undefined;
  healthyAt?: number | undefined;
  exitedAt?: number | undefined;
  waitedFor?: string[] | undefined;
}
