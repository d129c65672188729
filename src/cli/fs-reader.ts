/** The loader's window on the file system; the only fs access the loader gets. */
import * as fs from 'node:fs';
import { FileNotFoundError, TscComposeError } from '../errors/index.js';
import type { FileReader } from '../compose/context.js';

export function createFsReader(): FileReader {
  return {
    readText(absPath: string): string {
      try {
        return fs.readFileSync(absPath, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new FileNotFoundError(absPath, `open ${absPath}: no such file or directory`);
        if (code === 'EISDIR') throw new TscComposeError('TSC_FILE_IS_DIR', `read ${absPath}: is a directory`);
        throw new TscComposeError('TSC_FILE_READ', `read ${absPath}: ${code ?? String(err)}`, { cause: err });
      }
    },
    exists(absPath: string): boolean {
      return fs.existsSync(absPath);
    },
    isDirectory(absPath: string): boolean {
      try {
        return fs.statSync(absPath).isDirectory();
      } catch {
        return false;
      }
    },
  };
}
