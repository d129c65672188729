/** `--progress auto|tty|plain|json|quiet`: auto is tty on a terminal, plain otherwise. */
import type { EventProcessor } from '../../events/progress.js';
import { JsonProgress, PlainProgress, QuietProgress } from './plain.js';
import { TtyProgress } from './tty.js';

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'quiet';

export function createProgress(mode: ProgressMode, out: NodeJS.WriteStream, opts: { color?: boolean } = {}): EventProcessor {
  const effective = mode === 'auto' ? (out.isTTY ? 'tty' : 'plain') : mode;
  switch (effective) {
    case 'tty':
      return new TtyProgress(out, opts.color ?? true);
    case 'json':
      return new JsonProgress(out);
    case 'quiet':
      return new QuietProgress();
    default:
      return new PlainProgress(out);
  }
}
