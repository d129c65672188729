/**
 * Phase 9: what docker compose fills in: the implicit `default` network for
 * services that name none, resource names (`<project>_<key>` unless `name:`
 * or `external`), then the typed model.
 */
import { ComposeFileError } from '../../errors/index.js';
import type { ComposeTree } from '../context.js';
import { ProjectSchema } from '../model.js';
import type { Project } from '../model.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function applyDefaults(tree: ComposeTree, opts: { projectName: string; workingDir: string }): Project {
  const project: Obj = { ...tree, name: opts.projectName };
  // Services are updated in place: they carry the source positions later checks report.
  const services: Obj = isObj(tree['services']) ? (tree['services'] as Obj) : {};
  let usesDefault = false;
  for (const [name, raw] of Object.entries(services)) {
    const svc: Obj = isObj(raw) ? raw : {};
    if (svc['networks'] === undefined && svc['network_mode'] === undefined) svc['networks'] = { default: null };
    if (isObj(svc['networks']) && 'default' in svc['networks']) usesDefault = true;
    services[name] = svc;
  }
  project['services'] = services;

  const networks: Obj = isObj(tree['networks']) ? { ...(tree['networks'] as Obj) } : {};
  if (usesDefault && !('default' in networks)) networks['default'] = {};
  for (const section of ['networks', 'volumes', 'secrets', 'configs']) {
    const entries: Obj = section === 'networks' ? networks : isObj(tree[section]) ? { ...(tree[section] as Obj) } : {};
    for (const [key, raw] of Object.entries(entries)) {
      const def: Obj = isObj(raw) ? { ...raw } : {};
      if (def['name'] === undefined) def['name'] = def['external'] ? key : `${opts.projectName}_${key}`;
      entries[key] = def;
    }
    if (Object.keys(entries).length > 0) project[section] = entries;
    else delete project[section];
  }
  const parsed = ProjectSchema.safeParse(project);
  if (!parsed.success) {
    // Values the file schema lets through but the model cannot use (e.g. a volume without target).
    const issue = parsed.error.issues[0];
    const keyPath = issue?.path.join('.') ?? '';
    throw new ComposeFileError('TSC_SPEC_INVALID', `${keyPath} ${issue?.message ?? 'is invalid'}`, { keyPath });
  }
  return project as Project;
}
