/** `--progress auto|tty|plain|json|quiet`: auto is tty on a terminal, plain otherwise (as docker compose). */
import type { EventProcessor } from '../../events/progress.js';
import { JsonProgress } from './json.js';
import { PlainProgress } from './plain.js';
import { QuietProgress } from './quiet.js';
import { ListrProgress } from './listr.js';

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'quiet';

export interface ProgressOptions {
  /** ANSI colors in the tty display (defaults to on). */
  color?: boolean | undefined;
  /** Marks json lines with `"dry-run": true`. */
  dryRun?: boolean | undefined;
}

/** The mode `auto` stands for on this stream. */
export function resolveProgressMode(mode: ProgressMode, out: { isTTY?: boolean | undefined }): Exclude<ProgressMode, 'auto'> {
  return mode === 'auto' ? (out.isTTY === true ? 'tty' : 'plain') : mode;
}

export function createProgress(mode: ProgressMode, out: NodeJS.WriteStream, opts: ProgressOptions = {}): EventProcessor {
  switch (resolveProgressMode(mode, out)) {
    case 'tty':
      return new ListrProgress(out, { color: opts.color ?? true });
    case 'json':
      return new JsonProgress(out, opts.dryRun ?? false);
    case 'quiet':
      return new QuietProgress();
    case 'plain':
      return new PlainProgress(out);
  }
}
