/**
 * The loader pipeline (compose-go's phases, typed at the end):
 * parse → interpolate → resolve paths → include → extends → merge → validate
 * → canonical → env files → defaults → profiles → consistency. Every phase lives in its own
 * module under phases/; this file only wires them and owns no logic of its own
 * beyond file bookkeeping. Options let `config` stop early (--no-interpolate).
 * The schema and model checks come from the host, so a caller can avoid loading the
 * schema (zod) when it already knows the tree is valid; loader.ts supplies the
 * plain one.
 */
import * as path from 'node:path/posix';
import { AggregateComposeError, ComposeFileError } from '../errors/index.js';
import type { TscComposeError } from '../errors/index.js';
import type { ComposeTree, FileReader, LoadContext, LoadWarning, VariableLookup } from './context.js';
import { PositionTable } from './positions.js';
import { parseYamlDocuments } from './phases/parse.js';
import { interpolateTree } from './phases/interpolate.js';
import { resolveRelativePaths } from './phases/paths.js';
import { applyInclude } from './phases/include.js';
import type { IncludeRequest } from './phases/include.js';
import { applyExtends } from './phases/extends.js';
import { mergeComposeTrees } from './phases/merge.js';
import { stripTags } from './tags.js';
import { toCanonical } from './phases/canonical.js';
import { applyEnvFiles } from './phases/env-files.js';
import { fillDefaults } from './phases/defaults.js';
import { checkProject } from './phases/check-project.js';
import { buildDependencyGraph } from '../graph/dependency-graph.js';
import { parseDotenv } from './dotenv.js';
import { assertValidProjectName, normalizeProjectName } from './project-options.js';
import type { ProjectOptions } from './project-options.js';
import { selectServices } from './profiles.js';
import type { Project } from './model.js';

export interface LoadOptions {
  /** Keep `${VAR}` as written (config --no-interpolate). */
  skipInterpolation?: boolean;
  /** Services named on the command line: activates their profiles and dependencies. */
  services?: string[];
  /** Skip the consistency checks (undefined references, cycles). */
  skipConsistency?: boolean;
}

export interface LoadResult {
  project: Project;
  /** Services left out by profiles. */
  disabledServices: string[];
  warnings: LoadWarning[];
}

export interface LoaderHost {
  reader: FileReader;
  homeDir: string;
  /** The shell environment alone (it beats every env file, also in included projects). */
  shellEnv: ReadonlyMap<string, string>;
  /** The schema check of the merged tree: its problems, empty when valid. */
  validate: TreeValidator;
  /** The typed model's check of the completed project; returns it, throws when it does not fit. */
  checkModel: (project: Project) => Project;
}

export type TreeValidator = (tree: ComposeTree, positions: PositionTable) => ComposeFileError[];

export function loadProject(options: ProjectOptions, host: LoaderHost, loadOptions: LoadOptions = {}): LoadResult {
  const ctx: LoadContext = {
    reader: host.reader,
    positions: new PositionTable(),
    warnings: [...options.warnings],
    homeDir: host.homeDir,
  };
  const environment = new Map(options.environment);
  const lookup: VariableLookup = (name) => environment.get(name);

  const pipeline = new FilePipeline(ctx, host, loadOptions);
  let merged: ComposeTree | undefined;
  for (const file of options.configFiles) {
    const tree = pipeline.loadMainFile(file, options.workingDir, lookup);
    merged = merged === undefined ? tree : mergeComposeTrees(merged, tree, ctx);
  }
  const tree = stripTags(merged ?? {}) as ComposeTree;

  const problems = host.validate(tree, ctx.positions);
  if (problems.length > 0) throw aggregate(problems);

  const projectName = decideProjectName(options, tree);
  environment.set('COMPOSE_PROJECT_NAME', projectName);

  if (loadOptions.skipInterpolation) {
    return { project: { name: projectName, ...tree } as unknown as Project, disabledServices: [], warnings: ctx.warnings };
  }

  const canonical = applyEnvFiles(toCanonical(tree, ctx, { lookup }), ctx, { lookup });
  const full = host.checkModel(fillDefaults(canonical, { projectName, workingDir: options.workingDir }));
  const { project, disabled } = selectServices(full, { profiles: options.profiles, services: loadOptions.services ?? [] });

  if (!loadOptions.skipConsistency) {
    const errors = checkProject(project, ctx);
    if (errors.length > 0) throw aggregate(errors);
    const cycle = buildDependencyGraph(project).findCycle();
    if (cycle) throw cycle;
  }
  return { project, disabledServices: disabled, warnings: ctx.warnings };
}

/** `web:` with no body is an empty service, as compose-go's fixEmptyNotNull makes it. */
function fillEmptyServices(tree: ComposeTree): void {
  const services = tree['services'];
  if (typeof services !== 'object' || services === null || Array.isArray(services)) return;
  const map = services as Record<string, unknown>;
  for (const name of Object.keys(map)) if (map[name] === null) map[name] = {};
}

function aggregate(problems: TscComposeError[]): TscComposeError {
  return problems.length === 1 ? (problems[0] as TscComposeError) : new AggregateComposeError(problems);
}

function decideProjectName(options: ProjectOptions, tree: ComposeTree): string {
  if (options.explicitName) return options.explicitName;
  const fromFile = tree['name'];
  if (typeof fromFile === 'string' && fromFile !== '') return assertValidProjectName(fromFile, 'the top-level "name"');
  const fromDir = normalizeProjectName(path.basename(options.workingDir));
  if (fromDir === '') {
    throw new ComposeFileError('TSC_PROJECT_NAME', `project name must not be empty: set one with -p, COMPOSE_PROJECT_NAME or "name:"`);
  }
  return fromDir;
}

/** Loads single files through the per-file phases; remembers the chain for cycle errors. */
class FilePipeline {
  private readonly extendsCache = new Map<string, ComposeTree>();

  constructor(
    private readonly ctx: LoadContext,
    private readonly host: LoaderHost,
    private readonly loadOptions: LoadOptions,
  ) {}

  /** A -f file: relative paths resolve against the project directory, as in docker compose. */
  loadMainFile(file: string, workingDir: string, lookup: VariableLookup): ComposeTree {
    return this.loadFile(file, workingDir, lookup, [file]);
  }

  private loadFile(file: string, baseDir: string, lookup: VariableLookup, includeChain: string[]): ComposeTree {
    let tree = this.parseFile(file, baseDir, lookup);
    if (tree['include'] !== undefined) {
      tree = applyInclude(tree, file, this.ctx, (req) => this.loadIncluded(req, lookup), includeChain);
    }
    return applyExtends(tree, file, this.ctx, (other) => this.loadExtendedFile(other, lookup));
  }

  /** parse → interpolate → resolve paths, for one file. */
  private parseFile(file: string, baseDir: string, lookup: VariableLookup): ComposeTree {
    const text = this.ctx.reader.readText(file);
    const docs = parseYamlDocuments(text, file, this.ctx.positions);
    if (docs.length === 0 || docs.every((d) => d === null)) {
      throw new ComposeFileError('TSC_SPEC_EMPTY', `empty compose file`, { location: { file, line: 1, column: 1 } });
    }
    let tree: ComposeTree | undefined;
    for (const doc of docs) {
      if (doc === null) continue;
      if (typeof doc !== 'object' || Array.isArray(doc)) {
        throw new ComposeFileError('TSC_SPEC_INVALID', 'top-level object must be a mapping', {
          location: this.ctx.positions.node(doc as object) ?? { file, line: 1, column: 1 },
        });
      }
      let one = doc as ComposeTree;
      this.warnObsoleteVersion(one, file);
      fillEmptyServices(one);
      if (!this.loadOptions.skipInterpolation) one = interpolateTree(one, lookup, this.ctx) as ComposeTree;
      one = resolveRelativePaths(one, baseDir, this.ctx);
      tree = tree === undefined ? one : mergeComposeTrees(tree, one, this.ctx);
    }
    return tree as ComposeTree;
  }

  private warnObsoleteVersion(tree: ComposeTree, file: string): void {
    if (!('version' in tree)) return;
    this.ctx.warnings.push({
      message: 'the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion',
      location: this.ctx.positions.key(tree, 'version') ?? { file, line: 1, column: 1 },
    });
    delete tree['version'];
  }

  /** `extends: {file}`: the other file's relative paths resolve against its own directory. */
  private loadExtendedFile(file: string, lookup: VariableLookup): ComposeTree {
    const cached = this.extendsCache.get(file);
    if (cached) return cached;
    const tree = this.parseFile(file, path.dirname(file), lookup);
    this.extendsCache.set(file, tree);
    return tree;
  }

  /** `include`: a sub-project with its own directory and env files. */
  private loadIncluded(req: IncludeRequest, parentLookup: VariableLookup): ComposeTree {
    const envVars = new Map<string, string>();
    for (const envFile of req.envFiles) {
      const lookup: VariableLookup = (name) => this.host.shellEnv.get(name) ?? envVars.get(name) ?? parentLookup(name);
      for (const [k, v] of parseDotenv(this.ctx.reader.readText(envFile), envFile, lookup)) envVars.set(k, v);
    }
    const lookup: VariableLookup = (name) => this.host.shellEnv.get(name) ?? envVars.get(name) ?? parentLookup(name);
    let merged: ComposeTree | undefined;
    for (const file of req.paths) {
      const tree = this.loadFile(file, req.projectDirectory, lookup, [...req.includedFrom, file]);
      merged = merged === undefined ? tree : mergeComposeTrees(merged, tree, this.ctx);
    }
    return merged ?? {};
  }
}
