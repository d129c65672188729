/**
 * How a container's first process is decided from the image config and the
 * service's overrides, with Docker's rules: an `entrypoint` override clears
 * the image's CMD; `command` replaces CMD; `entrypoint: []` clears the image
 * entrypoint; the environment is the image's, then the service's; PATH,
 * HOSTNAME, HOME and (with a TTY) TERM are filled in when missing.
 */
import { TscComposeError } from '../errors/index.js';
import type { ImageRuntimeConfig } from '../image/oci.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ProcessOverrides {
  /** undefined: keep the image's; [] clears it. */
  entrypoint?: string[] | null | undefined;
  command?: string[] | null | undefined;
  environment?: Record<string, string> | undefined;
  workingDir?: string | undefined;
  user?: string | undefined;
  tty?: boolean | undefined;
  hostname: string;
}

export interface DecidedProcess {
  args: string[];
  /** KEY=VALUE, image variables first; later duplicates already folded. */
  env: string[];
  cwd: string;
  user: string;
}

export function decideProcess(image: ImageRuntimeConfig, o: ProcessOverrides, service?: string): DecidedProcess {
  let entrypoint: string[];
  let cmd: string[];
  if (o.entrypoint !== undefined && o.entrypoint !== null) {
    entrypoint = o.entrypoint;
    cmd = o.command ?? [];
  } else {
    entrypoint = image.Entrypoint ?? [];
    cmd = o.command ?? image.Cmd ?? [];
  }
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) {
    throw new TscComposeError('TSC_NO_COMMAND', 'no command specified: the image has no Entrypoint or Cmd and the service sets no command', { service });
  }
  const env = new Map<string, string>();
  for (const entry of image.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
    else if (eq === -1) env.set(entry, '');
  }
  for (const [k, v] of Object.entries(o.environment ?? {})) env.set(k, v);
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  if (!env.has('HOSTNAME')) env.set('HOSTNAME', o.hostname);
  if (o.tty && !env.has('TERM')) env.set('TERM', 'xterm');
  return {
    args,
    env: [...env].map(([k, v]) => `${k}=${v}`),
    cwd: o.workingDir || image.WorkingDir || '/',
    user: o.user ?? image.User ?? '',
  };
}

/** HOME comes from the resolved user's passwd entry unless the environment already has it. */
export function withHome(env: string[], home: string): string[] {
  return env.some((e) => e.startsWith('HOME=')) ? env : [...env, `HOME=${home}`];
}
