/** `--progress quiet`: nothing at all (errors still reach the user through the CLI's own message). */
import type { EventProcessor } from '../../events/progress.js';

export class QuietProgress implements EventProcessor {
  start(): void {}
  on(): void {}
  done(): void {}
}
