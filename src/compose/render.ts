/**
 * The project as `docker compose config` prints it: top-level keys in
 * compose-go's order, services and resources sorted by name, service keys
 * sorted alphabetically (compose-go's struct order is alphabetical too).
 */
import { stringify } from 'yaml';
import type { Project } from './model.js';

const TOP_LEVEL_ORDER = ['name', 'services', 'networks', 'volumes', 'secrets', 'configs', 'models'];

export function orderedProject(project: Project): Record<string, unknown> {
  const src = project as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of TOP_LEVEL_ORDER) {
    const value = src[key];
    if (value === undefined) continue;
    if (key === 'name') out[key] = value;
    else if (key === 'services') out[key] = sortMap(value as Record<string, unknown>, sortKeysDeep);
    else if (isEmptyMap(value)) continue;
    else out[key] = sortMap(value as Record<string, unknown>, (v) => v);
  }
  for (const key of Object.keys(src).sort()) {
    if (!TOP_LEVEL_ORDER.includes(key) && src[key] !== undefined) out[key] = src[key];
  }
  return out;
}

export function renderProject(project: Project, format: 'yaml' | 'json'): string {
  const ordered = orderedProject(project);
  if (format === 'json') return `${JSON.stringify(ordered, null, 2)}\n`;
  return stringify(ordered, { lineWidth: 0, aliasDuplicateObjects: false, nullStr: 'null' });
}

function isEmptyMap(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function sortMap(map: Record<string, unknown>, each: (v: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(map).sort()) out[key] = each(map[key]);
  return out;
}

/** Sorts mapping keys of a service recursively; list order is meaningful and kept. */
function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (typeof value === 'object' && value !== null) return sortMap(value as Record<string, unknown>, sortKeysDeep);
  return value;
}
