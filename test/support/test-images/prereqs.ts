/** Installs the Debian packages the harness uses when they are missing (prereqs.sh). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './exec.js';

function prereqsScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, 'prereqs.sh');
  return fs.existsSync(beside) ? beside : path.resolve(here, '../../../../test/support/test-images/prereqs.sh');
}

/** Quick (a few dpkg-query calls) when everything is installed; runs apt-get otherwise. */
export async function ensureHarnessPrerequisites(): Promise<void> {
  await run(['bash', prereqsScript()], { timeoutMs: 15 * 60_000 });
}
