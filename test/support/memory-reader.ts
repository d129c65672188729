/** An in-memory FileReader: the loader's injected file access, for fast pure tests. */
import * as path from 'node:path/posix';
import { FileNotFoundError } from '../../src/errors/index.js';
import type { FileReader } from '../../src/compose/context.js';

export function memoryReader(files: Record<string, string>): FileReader {
  const dirs = new Set<string>();
  for (const f of Object.keys(files)) {
    let d = path.dirname(f);
    while (!dirs.has(d)) {
      dirs.add(d);
      const parent = path.dirname(d);
      if (parent === d) break;
      d = parent;
    }
  }
  return {
    readText(p) {
      const text = files[p];
      if (text === undefined) throw new FileNotFoundError(p, `open ${p}: no such file or directory`);
      return text;
    },
    exists: (p) => p in files || dirs.has(p),
    isDirectory: (p) => dirs.has(p) && !(p in files),
  };
}
