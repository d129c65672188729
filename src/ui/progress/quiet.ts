/** `--progress quiet`: nothing at all (errors still reach the user through the CLI's own message). */
import type { EventProcessor, ProgressEvent } from '../../events/progress.js';

export class QuietProgress implements EventProcessor {
  start(_title?: string): void {}
  on(..._events: ProgressEvent[]): void {}
  done(_error?: Error): void {}
}
