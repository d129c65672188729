/** Linux capabilities by name, Docker's default set, and compose's cap_add / cap_drop / privileged. */
import { TscComposeError } from '../errors/index.js';

export const CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const;

export const DOCKER_DEFAULT_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP',
  'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
];

function normalize(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

export interface CapabilityRequest {
  privileged?: boolean | undefined;
  add?: string[] | undefined;
  drop?: string[] | undefined;
  /**
   * What the engine holds (its permitted set within its bounding set): no
   * container can get more. `privileged` and `cap_add: ALL` mean every
   * capability held, as in a VM sandbox or Docker-in-Docker; a named
   * `cap_add` the engine does not hold is an error; a default the engine does
   * not hold is left out.
   */
  held: bigint;
}

/** The capability set a container gets, as a 64-bit mask (hex, for the shim). */
export function capabilityMask(opts: CapabilityRequest, service?: string): bigint {
  const index = (name: string): number => {
    const i = (CAPABILITIES as readonly string[]).indexOf(name);
    if (i === -1) throw new TscComposeError('TSC_CAPABILITY', `unknown capability "${name}"`, { service });
    return i;
  };
  const isHeld = (name: string): boolean => ((opts.held >> BigInt(index(name))) & 1n) === 1n;
  const everyHeld = (): string[] => CAPABILITIES.filter(isHeld);
  let set = new Set<string>(opts.privileged ? everyHeld() : DOCKER_DEFAULT_CAPABILITIES.filter(isHeld));
  for (const raw of opts.drop ?? []) {
    const name = normalize(raw);
    if (name === 'ALL') set = new Set();
    else set.delete(CAPABILITIES[index(name)] as string);
  }
  for (const raw of opts.add ?? []) {
    const name = normalize(raw);
    if (name === 'ALL') for (const c of everyHeld()) set.add(c);
    else if (!isHeld(CAPABILITIES[index(name)] as string)) {
      throw new TscComposeError(
        'TSC_CAPABILITY_NOT_HELD',
        `cap_add: CAP_${name}: the engine does not hold this capability (this machine's bounding set lacks it), so no container can get it`,
        { service },
      );
    } else set.add(name);
  }
  let mask = 0n;
  for (const name of set) mask |= 1n << BigInt(index(name));
  return mask;
}
