/**
 * Where the engine's configuration file is, and the environment variables
 * that override its settings. Names only (no zod, no parsing): the CLI looks
 * for these on every command and must stay cheap.
 *
 * The file is /etc/tsc-compose/engine.json, in the spirit of Docker's
 * /etc/docker/daemon.json. TSC_COMPOSE_ENGINE_CONFIG names another file. An
 * installation moved with TSC_COMPOSE_ROOT (every test's isolated root) reads
 * $TSC_COMPOSE_ROOT/engine.json instead, so a test never picks up the
 * machine's settings, and writing its own file touches nothing outside it.
 */
import * as path from 'node:path';

export const DEFAULT_ENGINE_CONFIG = '/etc/tsc-compose/engine.json';
export const ENGINE_CONFIG_VARIABLE = 'TSC_COMPOSE_ENGINE_CONFIG';

export function engineConfigPath(env: NodeJS.ProcessEnv): string {
  const explicit = env[ENGINE_CONFIG_VARIABLE];
  if (explicit) return path.resolve(explicit);
  const root = env['TSC_COMPOSE_ROOT'];
  return root ? path.join(path.resolve(root), 'engine.json') : DEFAULT_ENGINE_CONFIG;
}

/** Whether the file was named explicitly (then it must exist; the default one may be absent). */
export function engineConfigNamed(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env[ENGINE_CONFIG_VARIABLE]);
}

/**
 * Setting → the variable that overrides it. Overrides are for tests and
 * one-off experiments: set in the engine's environment, a variable wins over
 * the file. A list variable that is set but empty means an empty list
 * (`TSC_COMPOSE_DNS_UPSTREAMS=` forwards nowhere); an empty single-value
 * variable counts as unset. `docker-hub-endpoint` and `dns-port` exist only as
 * variables (tests put a local registry in Docker Hub's place, move the DNS port).
 */
export const SETTING_VARIABLES = {
  'registry-mirrors': { variable: 'TSC_COMPOSE_REGISTRY_MIRRORS', list: true },
  'insecure-registries': { variable: 'TSC_COMPOSE_INSECURE_REGISTRIES', list: true },
  'certs-dir': { variable: 'TSC_COMPOSE_CERTS_DIR', list: false },
  dns: { variable: 'TSC_COMPOSE_DNS_UPSTREAMS', list: true },
  'docker-hub-endpoint': { variable: 'TSC_COMPOSE_DOCKER_HUB_ENDPOINT', list: false },
  'dns-port': { variable: 'TSC_COMPOSE_DNS_PORT', list: false },
} as const;

export type OverridableSetting = keyof typeof SETTING_VARIABLES;

/** The text of the variable overriding `name` in `env`, when it overrides (see above). */
export function overrideText(env: NodeJS.ProcessEnv, name: OverridableSetting): string | undefined {
  const { variable, list } = SETTING_VARIABLES[name];
  const text = env[variable];
  if (text === undefined || (!list && text === '')) return undefined;
  return text;
}

/** The settings `env` overrides. */
export function overridesIn(env: NodeJS.ProcessEnv): OverridableSetting[] {
  return (Object.keys(SETTING_VARIABLES) as OverridableSetting[]).filter((name) => overrideText(env, name) !== undefined);
}
