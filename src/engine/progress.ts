/** How engine code reports: stream messages to the caller of the request, progress rows among them. */
import type { StreamMessage } from './api/protocol.js';
import type { ProgressEvent } from '../events/progress.js';

export type Emit = (message: StreamMessage) => void;

export function progress(emit: Emit, id: string, status: ProgressEvent['status'], text: string, details?: string): void {
  emit({ type: 'progress', event: { id, status, text, ...(details ? { details } : {}), time: Date.now() } });
}
