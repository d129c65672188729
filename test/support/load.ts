/** Loads a compose project from disk the way the CLI does, for tests. */
import * as os from 'node:os';
import { createFsReader } from '../../src/cli/fs-reader.js';
import { resolveProjectOptions } from '../../src/compose/project-options.js';
import type { ProjectArgs } from '../../src/compose/project-options.js';
import { loadProject } from '../../src/compose/loader.js';
import type { LoadOptions, LoadResult } from '../../src/compose/loader.js';

export function loadForTest(
  args: ProjectArgs & { cwd: string; env?: Record<string, string> },
  loadOptions: LoadOptions = {},
): LoadResult {
  const reader = createFsReader();
  const env = args.env ?? {};
  const options = resolveProjectOptions(args, { cwd: args.cwd, env, reader });
  return loadProject(options, { reader, homeDir: os.homedir(), shellEnv: new Map(Object.entries(env)) }, loadOptions);
}
