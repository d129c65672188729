/**
 * The engine's settings in force: for each one the value and where it came
 * from, an environment override (see environment.ts: it wins), the file, or
 * the default. Pure: the file's checked contents, the environment and the
 * host's resolv.conf text come in; settings and a report of their sources go
 * out. The same function serves the engine and the CLI's own image commands,
 * so `pull` and `up` read the same settings the same way.
 */
import { AggregateComposeError, TscComposeError } from '../../errors/index.js';
import { DEFAULT_POOLS } from '../../network/ipam.js';
import type { AddressPool } from '../../network/ipam.js';
import { upstreamsFromResolvConf } from '../../network/dns/server.js';
import { parseBytes } from '../../util/bytes.js';
import { checkAbsolutePath, checkDnsServer, checkPort, checkRegistryHost, checkRegistryUrl } from './file-schema.js';
import type { EngineConfigFile, ValueCheck } from './file-schema.js';
import { SETTING_VARIABLES, overrideText } from './environment.js';
import type { OverridableSetting } from './environment.js';

export const DEFAULT_CERTS_DIR = '/etc/docker/certs.d';
export const DEFAULT_DNS_PORT = 53;

export interface LogDefaults {
  /** Bytes; a service's `logging.options.max-size` wins. */
  maxSize: number | undefined;
  /** A service's `logging.options.max-file` wins. */
  maxFiles: number | undefined;
}

export interface EngineSettings {
  registryMirrors: string[];
  insecureRegistries: string[];
  certsDir: string;
  /** Docker Hub's API endpoint (tests only: a local registry in its place); undefined: the real one. */
  dockerHubEndpoint: string | undefined;
  /** Where the embedded DNS server forwards names it does not know. */
  dnsServers: string[];
  dnsPort: number;
  addressPools: AddressPool[];
  logDefaults: LogDefaults;
}

export type SettingName = Exclude<keyof EngineConfigFile, 'userns-remap'> | OverridableSetting;
export type SettingSource = 'file' | 'environment' | 'default';
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface SettingEntry {
  name: SettingName;
  /** As it would be written in engine.json. */
  value: JsonValue;
  source: SettingSource;
  /** The file, the variable, or what the default is ('' when that says nothing). */
  origin: string;
  /** The variable that overrides this setting, if there is one. */
  variable?: string | undefined;
  /** False for settings that exist only as a variable. */
  inFile: boolean;
}

export interface ResolveInput {
  /** The configuration file's path (named in the report even when absent). */
  file: string;
  /** Its checked contents; undefined when there is no file. */
  config: EngineConfigFile | undefined;
  env: NodeJS.ProcessEnv;
  /** The host's /etc/resolv.conf, for the default DNS servers (undefined: unreadable). */
  resolvConf: string | undefined;
}

const ENVIRONMENT_CHECKS: Record<OverridableSetting, ValueCheck> = {
  'registry-mirrors': checkRegistryUrl,
  'insecure-registries': checkRegistryHost,
  'certs-dir': checkAbsolutePath,
  dns: checkDnsServer,
  'docker-hub-endpoint': checkRegistryUrl,
  'dns-port': checkPort,
};

/**
 * An override variable's text as the setting's value (the form engine.json
 * would have), or the problems with it. Lists are comma-separated.
 */
export function valueFromEnvironment(name: OverridableSetting, text: string): { value: JsonValue; problems: string[] } {
  const check = ENVIRONMENT_CHECKS[name];
  if (SETTING_VARIABLES[name].list) {
    const items = text.split(',').map((s) => s.trim()).filter(Boolean);
    return { value: items, problems: items.map(check).filter((p): p is string => p !== undefined) };
  }
  const problem = check(text);
  return { value: name === 'dns-port' && !problem ? Number(text) : text, problems: problem ? [problem] : [] };
}

const ENVIRONMENT_ONLY = new Set<SettingName>(['docker-hub-endpoint', 'dns-port']);

class Resolver {
  readonly entries: SettingEntry[] = [];
  readonly problems: TscComposeError[] = [];

  constructor(private readonly input: ResolveInput) {}

  /** The value in force: the override, else the file's, else the default. */
  pick(name: SettingName, fileValue: JsonValue | undefined, fallback: { value: JsonValue; origin: string }): JsonValue {
    const overridable = Object.hasOwn(SETTING_VARIABLES, name) ? (name as OverridableSetting) : undefined;
    const variable = overridable ? SETTING_VARIABLES[overridable].variable : undefined;
    const inFile = !ENVIRONMENT_ONLY.has(name);
    const text = overridable ? overrideText(this.input.env, overridable) : undefined;
    let entry: SettingEntry;
    if (overridable && variable && text !== undefined) {
      const { value, problems } = valueFromEnvironment(overridable, text);
      for (const p of problems) this.problems.push(new TscComposeError('TSC_ENGINE_CONFIG_INVALID', p, { keyPath: variable }));
      entry = { name, value, source: 'environment', origin: variable, variable, inFile };
    } else if (fileValue !== undefined) {
      entry = { name, value: fileValue, source: 'file', origin: this.input.file, variable, inFile };
    } else {
      entry = { name, value: fallback.value, source: 'default', origin: fallback.origin, variable, inFile };
    }
    this.entries.push(entry);
    return entry.value;
  }
}

/** Several problems as one error that prints one line each. */
export function oneError(problems: readonly TscComposeError[]): TscComposeError {
  const [first, ...rest] = problems;
  if (!first) throw new TscComposeError('TSC_INTERNAL', 'oneError needs at least one problem');
  return rest.length === 0 ? first : new AggregateComposeError([first, ...rest]);
}

function strings(value: JsonValue): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Settings in force and where each came from; an invalid override variable is an error naming it. */
export function resolveEngineSettings(input: ResolveInput): { settings: EngineSettings; entries: SettingEntry[] } {
  const file = input.config ?? {};
  const r = new Resolver(input);
  const registryMirrors = strings(r.pick('registry-mirrors', file['registry-mirrors'], { value: [], origin: '' }));
  const insecureRegistries = strings(r.pick('insecure-registries', file['insecure-registries'], { value: [], origin: 'loopback registries always use HTTP' }));
  const certsDir = r.pick('certs-dir', file['certs-dir'], { value: DEFAULT_CERTS_DIR, origin: "Docker's" });
  const dnsServers = strings(r.pick('dns', file.dns, { value: upstreamsFromResolvConf(input.resolvConf ?? ''), origin: "the host's /etc/resolv.conf" }));
  const pools = r.pick('default-address-pools', file['default-address-pools'], { value: DEFAULT_POOLS as unknown as JsonValue, origin: "Docker's" });
  const logOpts = r.pick('log-opts', file['log-opts'], { value: {}, origin: 'logs rotate only where a service says so' }) as Record<string, string>;
  const hub = r.pick('docker-hub-endpoint', undefined, { value: null, origin: 'Docker Hub, https://registry-1.docker.io' });
  const dnsPort = Number(r.pick('dns-port', undefined, { value: DEFAULT_DNS_PORT, origin: '' }));
  if (r.problems.length > 0) throw oneError(r.problems);
  const settings: EngineSettings = {
    registryMirrors,
    insecureRegistries,
    certsDir: typeof certsDir === 'string' ? certsDir : DEFAULT_CERTS_DIR,
    dockerHubEndpoint: typeof hub === 'string' ? hub : undefined,
    dnsServers,
    dnsPort,
    addressPools: (pools as unknown as AddressPool[]).map((p) => ({ base: p.base, size: p.size })),
    logDefaults: {
      maxSize: logOpts['max-size'] !== undefined ? parseBytes(logOpts['max-size']) : undefined,
      maxFiles: logOpts['max-file'] !== undefined ? Number(logOpts['max-file']) : undefined,
    },
  };
  return { settings, entries: r.entries };
}
