/** Pieces the progress renderers share. */
import type { ProgressEvent } from '../../events/progress.js';
import { formatSize } from '../units.js';

/** '2026-11-22T12:00:00Z': UTC to the second, as plain progress lines carry it. */
export function isoSeconds(time: number): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** '12.35MB / 45.6MB' when the event carries a total, '' otherwise (go-units HumanSize, as compose's pull rows). */
export function transferText(e: Pick<ProgressEvent, 'current' | 'total'>): string {
  if (!e.total) return '';
  return `${formatSize(e.current ?? 0, 4)} / ${formatSize(e.total, 4)}`;
}
