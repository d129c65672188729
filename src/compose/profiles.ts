/**
 * Profiles: a service with `profiles` is active only when one of them is
 * enabled (`--profile`, COMPOSE_PROFILES, `*` for all) or when it is named on
 * the command line. Dependencies of named services come along; a required
 * dependency on a disabled service is an error naming the profiles to enable,
 * as docker compose reports it.
 */
import { ComposeFileError } from '../errors/index.js';
import type { Project } from './model.js';

interface ProfiledService {
  profiles?: string[] | undefined;
  depends_on?: Record<string, { required?: boolean | undefined } | null | undefined> | undefined;
}

export interface Selection {
  profiles: string[];
  services: string[];
}

export function selectServices(project: Project, selection: Selection): { project: Project; disabled: string[] } {
  const services = project.services as Record<string, ProfiledService>;
  for (const name of selection.services) {
    if (!(name in services)) throw new ComposeFileError('TSC_NO_SUCH_SERVICE', `no such service: ${name}`);
  }
  const all = selection.profiles.includes('*');
  const enabledProfiles = new Set(selection.profiles);
  const isProfileActive = (svc: ProfiledService): boolean =>
    !svc.profiles || svc.profiles.length === 0 || all || svc.profiles.some((p) => enabledProfiles.has(p));

  const active = new Set(Object.keys(services).filter((n) => isProfileActive(services[n] as ProfiledService)));
  // Named services and, transitively, what they depend on are activated whatever their profiles.
  const queue = [...selection.services];
  const explicitlyPulled = new Set<string>();
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (explicitlyPulled.has(name)) continue;
    explicitlyPulled.add(name);
    active.add(name);
    for (const dep of Object.keys(services[name]?.depends_on ?? {})) if (dep in services) queue.push(dep);
  }

  for (const name of active) {
    for (const [dep, cond] of Object.entries(services[name]?.depends_on ?? {})) {
      if (!(dep in services) || active.has(dep)) continue;
      if (cond?.required === false) continue;
      const profiles = services[dep]?.profiles ?? [];
      throw new ComposeFileError(
        'TSC_DISABLED_DEPENDENCY',
        `service "${dep}" is required by "${name}" but is disabled. Can be enabled by profiles [${profiles.join(' ')}]`,
        { service: name },
      );
    }
  }

  const disabled = Object.keys(services).filter((n) => !active.has(n));
  if (disabled.length === 0) return { project, disabled };
  const kept: Record<string, unknown> = {};
  for (const [name, svc] of Object.entries(project.services)) {
    if (!active.has(name)) continue;
    // A dependency that is optional and disabled is dropped, so the graph only sees running services.
    const deps = (svc as ProfiledService).depends_on;
    if (deps && Object.keys(deps).some((d) => !active.has(d) && d in services)) {
      const filtered = Object.fromEntries(Object.entries(deps).filter(([d]) => active.has(d) || !(d in services)));
      kept[name] = { ...svc, depends_on: filtered };
    } else {
      kept[name] = svc;
    }
  }
  return { project: { ...project, services: kept } as Project, disabled };
}

/** Every profile any service mentions, sorted (for `config --profiles`). */
export function listProfiles(services: Record<string, unknown>): string[] {
  const set = new Set<string>();
  for (const svc of Object.values(services)) for (const p of (svc as ProfiledService).profiles ?? []) set.add(p);
  return [...set].sort();
}
