/**
 * Device rules as the v1 device controller understands them, and the policy
 * an ordered list of them leaves behind. The v1 kernel code
 * (security/device_cgroup.c) is the reference: a rule of type `a` resets the
 * cgroup to "allow all" or "deny all" with no exceptions; any other rule
 * either adds an exception to that default (access bits merged into an
 * exception with the same type and numbers) or takes access bits away from
 * such an exception (exact type and numbers only). The v1 backend writes the
 * policy into devices.allow/devices.deny and the eBPF program of cgroup v2 is
 * built from the same policy, so both versions decide alike (runc does the
 * same through its "emulator"). Pure.
 */
import { TscComposeError } from '../../errors/index.js';

export interface DeviceRule {
  allow: boolean;
  /** `a` (all), `b` (block) or `c` (character). */
  type: 'a' | 'b' | 'c';
  /** Omitted or '*' means any. */
  major?: number | '*' | undefined;
  minor?: number | '*' | undefined;
  /** Any of r, w, m. */
  access: string;
}

/** The kernel's access bits (BPF_DEVCG_ACC_* and the v1 DEVCG_ACC_* share them). */
export const ACCESS = { m: 1, r: 2, w: 4 } as const;
export const ACCESS_ALL = ACCESS.m | ACCESS.r | ACCESS.w;

/** One exception to the default: a device (or a range, with wildcards) and the access bits it carries. */
export interface DeviceException {
  type: 'b' | 'c';
  /** undefined: any. */
  major: number | undefined;
  minor: number | undefined;
  /** ACCESS bits, never 0. */
  access: number;
}

export interface DevicePolicy {
  /** True: everything is allowed except the exceptions; false: only the exceptions are. */
  defaultAllow: boolean;
  exceptions: DeviceException[];
}

/** Linux's dev_t: 12 bits of major, 20 of minor. */
const MAX_MAJOR = 0xfff;
const MAX_MINOR = 0xfffff;

function invalid(message: string): TscComposeError {
  return new TscComposeError('TSC_CGROUP_RESOURCES', `devices: ${message}`);
}

export function accessBits(access: string): number {
  if (!/^[rwm]{1,3}$/.test(access)) throw invalid(`access must be made of r, w, m, got "${access}"`);
  let bits = 0;
  for (const ch of access) bits |= ACCESS[ch as keyof typeof ACCESS];
  return bits;
}

/** `rwm` order, as the kernel prints devices.list. */
export function accessText(bits: number): string {
  return `${bits & ACCESS.r ? 'r' : ''}${bits & ACCESS.w ? 'w' : ''}${bits & ACCESS.m ? 'm' : ''}`;
}

function deviceNumber(n: number | '*' | undefined, what: 'major' | 'minor'): number | undefined {
  if (n === undefined || n === '*') return undefined;
  const max = what === 'major' ? MAX_MAJOR : MAX_MINOR;
  if (!Number.isSafeInteger(n) || n < 0 || n > max) throw invalid(`bad device ${what} ${String(n)} (0..${max})`);
  return n;
}

/** Refuses what no kernel accepts, and a list that does not start with an `a` rule (see devicePolicy). */
export function validateDeviceRules(rules: readonly DeviceRule[]): void {
  if (rules[0]?.type !== 'a') {
    throw invalid('the list must start with an `a` rule (deny or allow everything), so the policy does not depend on what the cgroup inherits');
  }
  for (const r of rules) {
    if (!['a', 'b', 'c'].includes(r.type)) throw invalid(`device type must be a, b or c, got ${String(r.type)}`);
    accessBits(r.access);
    deviceNumber(r.major, 'major');
    deviceNumber(r.minor, 'minor');
  }
}

const sameDevice = (e: DeviceException, type: 'b' | 'c', major: number | undefined, minor: number | undefined): boolean =>
  e.type === type && e.major === major && e.minor === minor;

/**
 * What an ordered rule list leaves a fresh cgroup with. The list must start
 * with an `a` rule: an empty list would otherwise mean "allow everything"
 * (what a new v1 cgroup inherits from the root), an easy mistake to make.
 */
export function devicePolicy(rules: readonly DeviceRule[]): DevicePolicy {
  validateDeviceRules(rules);
  let defaultAllow = true;
  let exceptions: DeviceException[] = [];
  for (const r of rules) {
    if (r.type === 'a') {
      // The kernel reads only the first character of an `a` rule: numbers and access are ignored.
      defaultAllow = r.allow;
      exceptions = [];
      continue;
    }
    const major = deviceNumber(r.major, 'major');
    const minor = deviceNumber(r.minor, 'minor');
    const bits = accessBits(r.access);
    const existing = exceptions.find((e) => sameDevice(e, r.type as 'b' | 'c', major, minor));
    if (r.allow !== defaultAllow) {
      if (existing) existing.access |= bits;
      else exceptions.push({ type: r.type, major, minor, access: bits });
    } else if (existing) {
      existing.access &= ~bits;
      if (existing.access === 0) exceptions = exceptions.filter((e) => e !== existing);
    }
  }
  return { defaultAllow, exceptions };
}

/** `c 1:3 rwm`, as devices.allow, devices.deny and devices.list spell it. */
export function exceptionLine(e: { type: 'b' | 'c'; major: number | undefined; minor: number | undefined }, access: number): string {
  const num = (n: number | undefined): string => (n === undefined ? '*' : String(n));
  return `${e.type} ${num(e.major)}:${num(e.minor)} ${accessText(access)}`;
}
