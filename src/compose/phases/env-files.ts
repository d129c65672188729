/**
 * Phase 8b, right after canonical: a service's `env_file` and `label_file`
 * are read (through `ctx.reader`) and merged under its own `environment` and
 * `labels`, as `docker compose config` shows them. Kept apart from the
 * canonical phase so that one stays a pure rewrite of the tree; this one is
 * the only part of the loader after `include` that reads files.
 *
 * The service's pass-through entries (`KEY` without a value) are resolved
 * here too, for every service, because they decide together with the files:
 * a pass-through entry that is unset hides the env_file value for its key,
 * as compose-go overrides it with null.
 *
 * It runs on the canonical tree (env_file entries are `{path, required,
 * format?}`, label_file a list of paths, environment a map with nulls) and
 * completes it in place: the services are the copies canonical built.
 */
import type { ErrorCode } from '../../errors/index.js';
import type { ComposeTree, LoadContext, VariableLookup } from '../context.js';
import type { KeyPath } from '../positions.js';
import { errorAtPath } from '../located-error.js';
import { parseDotenv, parseRawEnvFile } from '../dotenv.js';
import { resolveEquals } from '../canonical/key-values.js';
import { isObj, scalarText } from '../canonical/transformer.js';
import type { Obj } from '../canonical/transformer.js';

export interface EnvFilesOptions {
  /** Shell + .env variables: pass-through entries and `${VAR}` inside env files. */
  lookup: VariableLookup;
}

export function applyEnvFiles(tree: ComposeTree, ctx: LoadContext, opts: EnvFilesOptions): ComposeTree {
  const services = tree['services'];
  if (!isObj(services)) return tree;
  const fail = (path: KeyPath, message: string, code: ErrorCode): never => {
    throw errorAtPath(ctx.positions, tree, path, message, code);
  };
  for (const [name, service] of Object.entries(services)) {
    if (!isObj(service)) continue;
    const path = ['services', name];
    mergeEnvironment(service, path, ctx, opts.lookup, fail);
    mergeLabelFiles(service, path, ctx, fail);
  }
  return tree;
}

type Fail = (path: KeyPath, message: string, code: ErrorCode) => never;

/** env_file values (later files win) under the service's own `environment`; pass-through entries resolved. */
function mergeEnvironment(service: Obj, path: KeyPath, ctx: LoadContext, projectLookup: VariableLookup, fail: Fail): void {
  const declared = (service['environment'] ?? {}) as Record<string, string | null>;
  const own = resolveEquals(declared, projectLookup, ctx.positions);
  const files = Array.isArray(service['env_file']) ? (service['env_file'] as Obj[]) : [];
  if (files.length === 0) {
    if (service['environment'] === null) delete service['environment'];
    else if (service['environment'] !== undefined) service['environment'] = own;
    return;
  }
  const fromFiles = new Map<string, string>();
  // compose-go resolves ${VAR} in env files from the project environment, then the service's own values, then earlier files.
  const lookup: VariableLookup = (name) => projectLookup(name) ?? own[name] ?? fromFiles.get(name);
  files.forEach((file, i) => {
    const at = [...path, 'env_file', i];
    const filePath = String(file['path']);
    if (!ctx.reader.exists(filePath)) {
      if (file['required'] === false) return;
      fail(at, `env file ${filePath} not found`, 'TSC_ENV_FILE_NOT_FOUND');
    }
    const format = file['format'] === undefined || file['format'] === null ? '' : scalarText(file['format']);
    if (format !== '' && format !== 'raw') fail([...at, 'format'], `unsupported env_file format "${format}"`, 'TSC_SPEC_INVALID');
    const text = ctx.reader.readText(filePath);
    const vars = format === 'raw' ? parseRawEnvFile(text, filePath) : parseDotenv(text, filePath, lookup);
    for (const [key, value] of vars) fromFiles.set(key, value);
  });
  const merged: Record<string, string> = {};
  for (const [key, value] of fromFiles) merged[key] = value;
  for (const key of Object.keys(declared)) {
    // A pass-through entry left unset still hides the env_file value (compose-go overrides it with null).
    if (own[key] === undefined) delete merged[key];
  }
  Object.assign(merged, own);
  ctx.positions.copyAll(own, merged);
  // Like compose-go's omitempty: no environment key for an empty result nobody wrote.
  if (Object.keys(merged).length === 0 && service['environment'] === undefined) return;
  service['environment'] = merged;
}

/** label_file values (later files win) under the service's own labels, as compose-go's WithServicesLabelsResolved. */
function mergeLabelFiles(service: Obj, path: KeyPath, ctx: LoadContext, fail: Fail): void {
  const files = Array.isArray(service['label_file']) ? (service['label_file'] as unknown[]) : [];
  if (files.length === 0) return;
  const fromFiles = new Map<string, string>();
  files.forEach((file, i) => {
    const filePath = scalarText(file);
    if (!ctx.reader.exists(filePath)) fail([...path, 'label_file', i], `label file ${filePath} not found`, 'TSC_LABEL_FILE_NOT_FOUND');
    const vars = parseDotenv(ctx.reader.readText(filePath), filePath, (name) => fromFiles.get(name));
    for (const [key, value] of vars) fromFiles.set(key, value);
  });
  const own = (service['labels'] ?? {}) as Record<string, string>;
  const merged: Record<string, string> = Object.fromEntries(fromFiles);
  Object.assign(merged, own);
  ctx.positions.copyAll(own, merged);
  service['labels'] = merged;
}
