/** Commands are leaves: what two of them share lives in src/cli/ (session.ts or a small module), never in a command. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../../support/paths.js';

const COMMANDS_DIR = path.join(REPO_ROOT, 'src', 'cli', 'commands');

describe('cli command modules', () => {
  it('no command module imports another command module', () => {
    const offenders: string[] = [];
    for (const name of fs.readdirSync(COMMANDS_DIR).filter((n) => n.endsWith('.ts'))) {
      const info = ts.preProcessFile(fs.readFileSync(path.join(COMMANDS_DIR, name), 'utf8'), true, true);
      for (const ref of info.importedFiles) {
        const target = path.resolve(COMMANDS_DIR, ref.fileName);
        if (ref.fileName.startsWith('.') && path.dirname(target) === COMMANDS_DIR) offenders.push(`${name} imports ${ref.fileName}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('every file in src/cli/commands/ is a command of the command table', async () => {
    const { COMMANDS } = await import('../../../src/cli/command-table.js');
    const loaded = await Promise.all(Object.values(COMMANDS).map((c) => c.load()));
    assert.ok(loaded.every((c) => typeof c.usage === 'string' && c.usage.startsWith('tsc-compose ')));
    const table = fs.readFileSync(path.join(REPO_ROOT, 'src', 'cli', 'command-table.ts'), 'utf8');
    for (const name of fs.readdirSync(COMMANDS_DIR).filter((n) => n.endsWith('.ts'))) {
      assert.ok(table.includes(`./commands/${name.replace(/\.ts$/, '.js')}`), `${name} is not loaded by the command table`);
    }
  });
});
