/**
 * Capabilities at the process boundary: their names (the index in
 * CAPABILITY_NAMES is the kernel's number), Docker's default set, the five
 * sets a process gets, and those sets as the 64-bit masks the shim applies.
 */
import { TscComposeError } from '../../errors/index.js';

export const CAPABILITY_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** A capability name as the kernel headers spell it. */
export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

/** Docker's default set (moby's oci/caps/defaults.go): CapBnd/CapEff 00000000a80425fb for root. */
export const defaultDockerCapabilities: readonly CapabilityName[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export interface CapabilitySets {
  bounding: CapabilityName[];
  effective: CapabilityName[];
  permitted: CapabilityName[];
  inheritable: CapabilityName[];
  ambient: CapabilityName[];
}

/** Capability sets as 64-bit masks (bit N = capability number N). */
export interface CapabilityMasks {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

/** Accepts `chown`, `CHOWN`, `cap_chown`, `CAP_CHOWN`. */
export function capabilityName(name: string): CapabilityName {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!(CAPABILITY_NAMES as readonly string[]).includes(full)) {
    throw new TscComposeError('TSC_SPEC_CAPABILITY', `unknown capability "${name}"`);
  }
  return full as CapabilityName;
}

export function capabilityMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const name of names) mask |= 1n << BigInt(CAPABILITY_NAMES.indexOf(capabilityName(name)));
  return mask;
}

/** The names of the bits set in `mask` (bits past the last known capability are refused). */
export function capabilityNamesOf(mask: bigint): CapabilityName[] {
  if (mask >> BigInt(CAPABILITY_NAMES.length) !== 0n) {
    throw new TscComposeError('TSC_SPEC_CAPABILITY', `capability mask 0x${mask.toString(16)} has bits past ${CAPABILITY_NAMES.at(-1)}`);
  }
  return CAPABILITY_NAMES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

/**
 * The sets a container process gets from one list, as Docker does: bounding,
 * effective and permitted are the list; inheritable and ambient stay empty
 * (so a non-root user ends up with no effective capabilities, as in Docker).
 */
export function capabilitySets(names: readonly string[] = defaultDockerCapabilities): CapabilitySets {
  const list = [...new Set(names.map(capabilityName))];
  return { bounding: [...list], effective: [...list], permitted: [...list], inheritable: [], ambient: [] };
}

export function capabilityMasks(sets: CapabilitySets): CapabilityMasks {
  return {
    bounding: capabilityMask(sets.bounding),
    effective: capabilityMask(sets.effective),
    permitted: capabilityMask(sets.permitted),
    inheritable: capabilityMask(sets.inheritable),
    ambient: capabilityMask(sets.ambient),
  };
}
