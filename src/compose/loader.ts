/**
 * The loader as most callers want it: the pipeline with the plain schema check.
 * (The CLI wires the pipeline itself, with a check that remembers valid trees.)
 */
import { validateComposeFile } from './schema/validate-file.js';
import { validateModel } from './phases/model-check.js';
import { loadProject as runPipeline } from './pipeline.js';
import type { LoaderHost, LoadOptions, LoadResult } from './pipeline.js';
import type { ProjectOptions } from './project-options.js';

export type { LoaderHost, LoadOptions, LoadResult } from './pipeline.js';

export function loadProject(options: ProjectOptions, host: Omit<LoaderHost, 'validate' | 'checkModel'> & Partial<Pick<LoaderHost, 'validate' | 'checkModel'>>, loadOptions: LoadOptions = {}): LoadResult {
  return runPipeline(options, { ...host, validate: host.validate ?? ((tree, positions) => validateComposeFile(tree, { positions })), checkModel: host.checkModel ?? validateModel }, loadOptions);
}
