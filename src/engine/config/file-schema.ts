/**
 * What engine.json may say, as a zod schema, and each value's rules (shared
 * with the environment overrides, so a variable is held to the same rules as
 * the key it overrides). Key names are Docker's daemon.json names where
 * Docker has the setting. Unknown keys are errors: a misspelt key that was
 * silently ignored would leave the engine on its defaults.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { z } from 'zod';
import { addressPoolProblem } from '../../network/ipam.js';
import { parseBytes } from '../../util/bytes.js';
import type { ErrorCode } from '../../errors/index.js';
import type { JsonPath } from './json-reader.js';

/** A value's rule: undefined when the text is fine, else what is wrong with it. */
export type ValueCheck = (text: string) => string | undefined;

/** `http://host[:port]` or `https://...`, nothing after the host: the client talks to a mirror's root. */
export const checkRegistryUrl: ValueCheck = (text) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL (write it as http://host:port or https://host)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${text}" must be an http:// or https:// URL`;
  if (url.username || url.password) return `"${text}" must not carry credentials (use 'tsc-compose login')`;
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) return `"${text}" must name only the registry (scheme, host, port), no path`;
  return undefined;
};

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const HOST_PORT = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]+\\])(?::(\\d{1,5}))?$`);

/** A registry named as the client compares it: `host` or `host:port`. */
export const checkRegistryHost: ValueCheck = (text) => {
  if (text.includes('://')) return `"${text}" must be a registry host or host:port, without a scheme`;
  if (/^[\d.]+\/\d+$/.test(text)) return `"${text}": address ranges (CIDR) are not supported yet; name each registry as host or host:port`;
  const m = HOST_PORT.exec(text);
  if (!m || (m[1] !== undefined && Number(m[1]) > 65535)) return `"${text}" must be a registry host or host:port`;
  return undefined;
};

/** A DNS server: an IP address, optionally with a port (`10.0.0.2`, `10.0.0.2:5353`, `[fd00::1]:53`). */
export const checkDnsServer: ValueCheck = (text) => {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const withPort = /^([^:]+):(\d+)$/.exec(text);
  const host = bracketed?.[1] ?? withPort?.[1] ?? text;
  const port = bracketed?.[2] ?? withPort?.[2];
  if (net.isIP(host) === 0) return `"${text}" must be an IP address, optionally with :port`;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `"${text}": the port must be from 1 to 65535`;
  return undefined;
};

export const checkAbsolutePath: ValueCheck = (text) => (path.isAbsolute(text) ? undefined : `"${text}" must be an absolute path`);

export const checkPort: ValueCheck = (text) => (/^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535 ? undefined : `"${text}" must be a port number from 1 to 65535`);

const checkSize: ValueCheck = (text) => {
  const bytes = parseBytes(text);
  return bytes !== undefined && bytes > 0 ? undefined : `"${text}" must be a size such as "10m" or "1g"`;
};

const checkFileCount: ValueCheck = (text) => (/^[1-9]\d*$/.test(text) ? undefined : `"${text}" must be a whole number of files, 1 or more`);

function checked(check: ValueCheck, typeError: string): z.ZodType<string> {
  return z.string({ error: typeError }).superRefine((value, ctx) => {
    const problem = check(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

const list = (check: ValueCheck, what: string) =>
  z.array(checked(check, `must be a string (${what})`), { error: `must be a list of ${what}s` });

const addressPool = z
  .strictObject(
    {
      base: z.string({ error: 'must be a string, a subnet such as "10.10.0.0/16"' }),
      size: z.number({ error: 'must be a number, the prefix length of each network (e.g. 24)' }),
    },
    { error: 'must be an object {"base": "10.10.0.0/16", "size": 24}' },
  )
  .superRefine((pool, ctx) => {
    const problem = addressPoolProblem(pool);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: problem.startsWith('size') ? ['size'] : ['base'] });
  });

const logOptions = z
  .strictObject(
    {
      // Docker's log-opts values are strings, "10m" and "3" (its json-file driver's names).
      'max-size': checked(checkSize, 'must be a string such as "10m"').optional(),
      'max-file': checked(checkFileCount, 'must be a string such as "3"').optional(),
    },
    { error: 'must be an object such as {"max-size": "10m", "max-file": "3"}' },
  )
  .superRefine((opts, ctx) => {
    if (opts['max-file'] !== undefined && opts['max-size'] === undefined) {
      ctx.addIssue({ code: 'custom', message: 'max-file needs max-size (logs are rotated by size)', path: ['max-file'] });
    }
  });

export const engineConfigSchema = z.strictObject(
  {
    'registry-mirrors': list(checkRegistryUrl, 'registry URL').optional(),
    'insecure-registries': list(checkRegistryHost, 'registry host').optional(),
    'certs-dir': checked(checkAbsolutePath, 'must be a string (a directory)').optional(),
    dns: list(checkDnsServer, 'DNS server address').optional(),
    'default-address-pools': z
      .array(addressPool, { error: 'must be a list of {"base": ..., "size": ...} objects' })
      .min(1, 'must list at least one pool (leave the key out for the default pools)')
      .optional(),
    'log-opts': logOptions.optional(),
    'userns-remap': z.string({ error: 'must be a string' }).optional(),
  },
  { error: 'the engine configuration must be a JSON object, e.g. {"registry-mirrors": ["http://127.0.0.1:5000"]}' },
);

export type EngineConfigFile = z.infer<typeof engineConfigSchema>;
export type EngineConfigKey = keyof EngineConfigFile;

export const ENGINE_CONFIG_KEYS = Object.keys(engineConfigSchema.shape) as EngineConfigKey[];

export interface ConfigProblem {
  code: ErrorCode;
  path: JsonPath;
  message: string;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = known.find((k) => editDistance(k, key) <= 2);
  return near ? `unknown key "${key}" (did you mean "${near}"?)` : `unknown key "${key}" (known keys: ${known.join(', ')})`;
}

function knownKeysAt(at: JsonPath): readonly string[] {
  if (at.length === 0) return ENGINE_CONFIG_KEYS;
  if (at[0] === 'log-opts') return ['max-size', 'max-file'];
  if (at[0] === 'default-address-pools') return ['base', 'size'];
  return [];
}

function valueAt(root: unknown, at: JsonPath): unknown {
  let current = root;
  for (const segment of at) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

const USERNS_REMAP_UNSUPPORTED = 'is not supported yet (containers do not run in user namespaces): remove the key';

/** The file's value checked: the typed settings, or every problem (one per key path). */
export function checkEngineConfig(value: unknown): { config: EngineConfigFile; problems: [] } | { config: undefined; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  // Accepted as a key so that it is refused in words, never ignored: the engine cannot remap users yet.
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, 'userns-remap')) {
    problems.push({ code: 'TSC_ENGINE_CONFIG_UNSUPPORTED', path: ['userns-remap'], message: USERNS_REMAP_UNSUPPORTED });
  }
  const parsed = engineConfigSchema.safeParse(value);
  if (parsed.success && problems.length === 0) return { config: parsed.data, problems: [] };
  for (const issue of parsed.error?.issues ?? []) {
    const at = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ code: 'TSC_ENGINE_CONFIG_INVALID', path: [...at, key], message: unknownKeyMessage(key, knownKeysAt(at)) });
    } else if (issue.code === 'invalid_type' && at.length > 0 && valueAt(value, at) === undefined) {
      problems.push({ code: 'TSC_ENGINE_CONFIG_INVALID', path: at, message: `is missing; it ${issue.message}` });
    } else {
      problems.push({ code: 'TSC_ENGINE_CONFIG_INVALID', path: at, message: issue.message });
    }
  }
  return { config: undefined, problems };
}
