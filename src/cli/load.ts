/** Composition root for the loader: real files, the real environment, the CLI's options. */
import * as os from 'node:os';
import { createFsReader } from './fs-reader.js';
import type { GlobalOptions } from './global-options.js';
import { resolveProjectOptions } from '../compose/project-options.js';
import type { ProjectOptions } from '../compose/project-options.js';
import type { Project } from '../compose/model.js';
import { loadProject } from '../compose/pipeline.js';
import type { LoadOptions, LoadResult, TreeValidator } from '../compose/pipeline.js';
import { SchemaNeeded, ValidationCache } from './validation-cache.js';

export async function loadFromCli(global: GlobalOptions, loadOptions: LoadOptions = {}): Promise<LoadResult & { options: ProjectOptions }> {
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
  const load = (validate: TreeValidator, checkModel: (p: Project) => Project): LoadResult =>
    loadProject(options, { reader, homeDir: os.homedir(), shellEnv, validate, checkModel }, loadOptions);

  const cache = new ValidationCache();
  let result: LoadResult;
  try {
    // A tree that passed both checks before passes them again: the later phases are deterministic.
    result = load(cache.knownOnly, (p) => p);
  } catch (err) {
    if (!(err instanceof SchemaNeeded)) throw err;
    // A file not seen before: load the schema and run the whole load again (parsing is cheap; the schema is not).
    const [{ validateComposeFile }, { validateModel }] = await Promise.all([import('../compose/schema/validate-file.js'), import('../compose/phases/model-check.js')]);
    result = load(cache.remembering((tree, positions) => validateComposeFile(tree, { positions })), validateModel);
  }
  return { ...result, options };
}
