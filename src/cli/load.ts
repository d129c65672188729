/** Composition root for the loader: real files, the real environment, the CLI's options. */
import * as os from 'node:os';
import { createFsReader } from './fs-reader.js';
import type { GlobalOptions } from './global-options.js';
import { resolveProjectOptions } from '../spec/project-options.js';
import type { ProjectOptions } from '../spec/project-options.js';
import { loadProject } from '../spec/loader.js';
import type { LoadOptions, LoadResult } from '../spec/loader.js';

export function loadFromCli(global: GlobalOptions, loadOptions: LoadOptions = {}): LoadResult & { options: ProjectOptions } {
  const reader = createFsReader();
  const env = process.env;
  const options = resolveProjectOptions(
    {
      files: global.files,
      projectName: global.projectName,
      projectDirectory: global.projectDirectory,
      envFiles: global.envFiles,
      profiles: global.profiles,
    },
    { cwd: process.cwd(), env, reader },
  );
  const shellEnv = new Map<string, string>();
  for (const [k, v] of Object.entries(env)) if (v !== undefined) shellEnv.set(k, v);
  const result = loadProject(options, { reader, homeDir: os.homedir(), shellEnv }, loadOptions);
  return { ...result, options };
}
