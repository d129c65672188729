/**
 * Everything docker compose decides before it reads a compose file: which
 * files, which project directory, which variables (shell > --env-file > .env),
 * which profiles, and the COMPOSE_* settings that may come from any of them.
 * Pure: the shell environment and the working directory are passed in.
 */
import * as path from 'node:path/posix';
import { ComposeFileError, FileNotFoundError, UsageError } from '../errors/index.js';
import type { FileReader, LoadWarning, VariableLookup } from './context.js';
import { parseDotenv } from './dotenv.js';

export const DEFAULT_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
export const DEFAULT_OVERRIDE_FILE_NAMES = [
  'compose.override.yml',
  'compose.override.yaml',
  'docker-compose.override.yml',
  'docker-compose.override.yaml',
];

export interface ProjectArgs {
  files?: string[];
  projectName?: string | undefined;
  projectDirectory?: string | undefined;
  envFiles?: string[];
  profiles?: string[];
}

export interface ProjectOptions {
  /** Absolute compose file paths, in merge order. */
  configFiles: string[];
  workingDir: string;
  /** From -p or COMPOSE_PROJECT_NAME; undefined means "decide after reading the files". */
  explicitName: string | undefined;
  /** Variables for interpolation: shell environment over env files. */
  environment: Map<string, string>;
  /** The env files that were read (absolute). */
  envFiles: string[];
  profiles: string[];
  warnings: LoadWarning[];
}

export interface HostContext {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  reader: FileReader;
}

export function resolveProjectOptions(args: ProjectArgs, host: HostContext): ProjectOptions {
  const { reader } = host;
  const warnings: LoadWarning[] = [];
  const shell = new Map<string, string>();
  for (const [k, v] of Object.entries(host.env)) if (v !== undefined) shell.set(k, v);

  const explicitFiles = (args.files ?? []).map((f) => (f === '-' ? f : path.resolve(host.cwd, f)));
  const projectDirArg = args.projectDirectory ? path.resolve(host.cwd, args.projectDirectory) : undefined;

  // The .env that may name COMPOSE_FILE lives in the project directory when one is known,
  // otherwise in the current directory (docker compose does the same).
  const envBaseDir = projectDirArg ?? (explicitFiles[0] && explicitFiles[0] !== '-' ? path.dirname(explicitFiles[0]) : host.cwd);
  const envFileArgs = (args.envFiles ?? []).map((f) => path.resolve(host.cwd, f));
  for (const f of envFileArgs) {
    if (!reader.exists(f)) throw new FileNotFoundError(f, `couldn't find env file: ${f}`);
  }

  const readEnvFiles = (files: string[]): Map<string, string> => {
    const vars = new Map<string, string>();
    for (const f of files) {
      const lookup: VariableLookup = (name) => shell.get(name) ?? vars.get(name);
      for (const [k, v] of parseDotenv(reader.readText(f), f, lookup)) vars.set(k, v);
    }
    return vars;
  };

  let envFiles = envFileArgs;
  if (envFiles.length === 0) {
    const dotenv = path.join(envBaseDir, '.env');
    if (reader.exists(dotenv) && !reader.isDirectory(dotenv)) envFiles = [dotenv];
  }
  let fileVars = readEnvFiles(envFiles);
  const get = (name: string): string | undefined => shell.get(name) ?? fileVars.get(name);

  let configFiles = explicitFiles;
  if (configFiles.length === 0) {
    const fromEnv = get('COMPOSE_FILE');
    if (fromEnv) {
      const sep = get('COMPOSE_PATH_SEPARATOR') ?? ':';
      configFiles = fromEnv.split(sep).filter((p) => p !== '').map((p) => path.resolve(envBaseDir, p));
    } else {
      configFiles = discoverComposeFiles(projectDirArg ?? host.cwd, reader, warnings);
    }
  }
  for (const f of configFiles) {
    if (f !== '-' && !reader.exists(f)) throw new FileNotFoundError(f, `open ${f}: no such file or directory`);
  }
  if (configFiles.includes('-')) throw new UsageError('reading a compose file from stdin ("-f -") is not supported yet');

  const workingDir = projectDirArg ?? path.dirname(configFiles[0] as string);
  // The default .env belongs to the project directory: re-read it if that differs from where we looked.
  if (envFileArgs.length === 0 && workingDir !== envBaseDir) {
    const dotenv = path.join(workingDir, '.env');
    envFiles = reader.exists(dotenv) && !reader.isDirectory(dotenv) ? [dotenv] : [];
    fileVars = readEnvFiles(envFiles);
  }

  const environment = new Map(fileVars);
  for (const [k, v] of shell) environment.set(k, v);

  let explicitName = args.projectName ?? (get('COMPOSE_PROJECT_NAME') || undefined);
  if (explicitName !== undefined) {
    if (args.projectName !== undefined) assertValidProjectName(explicitName, '-p');
    else explicitName = assertValidProjectName(explicitName, 'COMPOSE_PROJECT_NAME');
  }

  let profiles = args.profiles ?? [];
  if (profiles.length === 0) {
    const fromEnv = get('COMPOSE_PROFILES');
    if (fromEnv) profiles = fromEnv.split(',').map((p) => p.trim()).filter((p) => p !== '');
  }

  return { configFiles, workingDir, explicitName, environment, envFiles, profiles, warnings };
}

/** compose.yaml (or a sibling name) in `dir` or the nearest parent, plus its override file. */
export function discoverComposeFiles(dir: string, reader: FileReader, warnings: LoadWarning[]): string[] {
  let current = dir;
  for (;;) {
    const found = DEFAULT_FILE_NAMES.map((n) => path.join(current, n)).filter((p) => reader.exists(p) && !reader.isDirectory(p));
    if (found.length > 0) {
      const main = found[0] as string;
      if (found.length > 1) {
        warnings.push({ message: `Found multiple config files with supported names: ${found.join(', ')}\nUsing ${main}` });
      }
      const override = DEFAULT_OVERRIDE_FILE_NAMES.map((n) => path.join(current, n)).find((p) => reader.exists(p) && !reader.isDirectory(p));
      return override ? [main, override] : [main];
    }
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  throw new FileNotFoundError(dir, 'no configuration file provided: not found');
}

const VALID_PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Throws for a name docker compose would reject; returns it unchanged otherwise. */
export function assertValidProjectName(name: string, source: string): string {
  if (!VALID_PROJECT_NAME.test(name)) {
    throw new ComposeFileError(
      'TSC_PROJECT_NAME',
      `invalid project name "${name}" (from ${source}): must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`,
    );
  }
  return name;
}

/** The directory-name fallback: lower-cased, characters docker compose rejects dropped. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
}
