/**
 * Reads the engine's configuration: the file (see environment.ts for which),
 * parsed with positions and checked, then the settings resolved with the
 * environment's overrides. Any problem is thrown, one error per problem with
 * file:line:col and key path, and nothing is returned: a caller that has
 * settings keeps them.
 */
import * as fs from 'node:fs';
import { AggregateComposeError, TscComposeError, fromSystemError } from '../../errors/index.js';
import { readJsonWithPositions } from './json-reader.js';
import { checkEngineConfig } from './file-schema.js';
import type { EngineConfigFile } from './file-schema.js';
import { engineConfigNamed, engineConfigPath, ENGINE_CONFIG_VARIABLE } from './environment.js';
import { oneError, resolveEngineSettings } from './settings.js';
import type { EngineSettings, SettingEntry } from './settings.js';

export interface SettingsReport {
  file: string;
  fileFound: boolean;
  loadedAt: string;
  entries: SettingEntry[];
  /** The last `reload` that was refused (the settings above stayed in force). */
  lastReloadError?: { at: string; problems: string[] } | undefined;
}

export interface LoadedSettings {
  settings: EngineSettings;
  report: SettingsReport;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** The host's resolv.conf (default: /etc/resolv.conf). */
  resolvConf?: string;
}

/** The file's checked contents, or undefined when the (default) file does not exist. */
export function readEngineConfigFile(file: string, named: boolean): EngineConfigFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (!named) return undefined;
      throw new TscComposeError('TSC_ENGINE_CONFIG_MISSING', `${file} (named by ${ENGINE_CONFIG_VARIABLE}) does not exist`);
    }
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw new TscComposeError('TSC_FILE_IS_DIR', `${file} is a directory, not an engine configuration file`);
    throw fromSystemError(err) ?? err;
  }
  const json = readJsonWithPositions(text, file);
  const checked = checkEngineConfig(json.value);
  if (checked.config) return checked.config;
  const problems = checked.problems
    .map((p) => new TscComposeError(p.code, p.message, { location: json.locate(p.path), keyPath: p.path.map(String).join('.') || undefined }))
    .sort((a, b) => (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0));
  throw oneError(problems);
}

function hostResolvConf(): string | undefined {
  try {
    return fs.readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return undefined;
  }
}

export function loadEngineSettings(opts: LoadOptions = {}): LoadedSettings {
  const env = opts.env ?? process.env;
  const file = engineConfigPath(env);
  const config = readEngineConfigFile(file, engineConfigNamed(env));
  const { settings, entries } = resolveEngineSettings({ file, config, env, resolvConf: opts.resolvConf ?? hostResolvConf() });
  return { settings, report: { file, fileFound: config !== undefined, loadedAt: new Date().toISOString(), entries } };
}

/** An error as the lines the CLI and the engine print: one per problem. */
export function problemLines(err: unknown): string[] {
  const e = fromSystemError(err) ?? err;
  if (e instanceof AggregateComposeError) return e.problems.flatMap((p) => problemLines(p));
  if (e instanceof TscComposeError) return e.format().split('\n');
  return [e instanceof Error ? e.message : String(e)];
}
