/**
 * What `--ansi` and `--progress` decide, once for every command, as docker
 * compose does: colors (never with `--ansi never` or NO_COLOR; always with
 * `--ansi always`; else on a terminal) and the progress display (`auto` is the
 * live display on a terminal and plain lines otherwise; `--ansi never` makes
 * it plain lines, since the live display moves the cursor with ANSI codes).
 */
import type { GlobalOptions } from './global-options.js';
import type { ProgressMode } from '../ui/progress/select.js';

export function useColor(global: Pick<GlobalOptions, 'ansi'>, out: { isTTY?: boolean | undefined }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (global.ansi === 'never' || (env['NO_COLOR'] ?? '') !== '') return false;
  return global.ansi === 'always' || out.isTTY === true;
}

export function progressMode(global: Pick<GlobalOptions, 'ansi' | 'progress'>, out: { isTTY?: boolean | undefined }): Exclude<ProgressMode, 'auto'> {
  if (global.progress !== 'auto') return global.progress;
  return global.ansi !== 'never' && out.isTTY === true ? 'tty' : 'plain';
}
