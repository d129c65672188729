/** How engine code reports: stream messages to the caller of the request, progress rows among them. */
import type { StreamMessage } from './api/protocol.js';
import type { ProgressEvent } from '../events/progress.js';

export type Emit = (message: StreamMessage) => void;

/** One progress row update (build it with the constructors of events/progress.ts: `report(emit, started(id))`). */
export function report(emit: Emit, event: ProgressEvent): void {
  emit({ type: 'progress', event });
}
