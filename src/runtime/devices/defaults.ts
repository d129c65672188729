/**
 * The device rules a container gets: Docker's defaults, plus exactly what
 * `devices:` and `device_cgroup_rules:` name, or everything for
 * `privileged: true`. Pure data and one pure function.
 *
 * Followed: what Docker ends up writing, which is moby's DefaultLinuxSpec
 * (daemon/pkg/oci/defaults.go at b985e23: deny all; allow c 1:5, 1:3, 1:9,
 * 1:8, 5:0, 5:1 rwm; deny c 10:229) with runc's AllowedDevices appended
 * (libcontainer/specconv/spec_linux.go at 76d9cf5: c *:* m, b *:* m; c 1:3,
 * 1:8, 1:7, 5:0, 1:5, 1:9, 136:*, 5:2, 10:200 rwm). Two differences, both
 * stricter: /dev/net/tun (10:200, re-added to runc for compatibility in
 * 394f4c3) is allowed only when asked for, and moby's explicit deny of
 * /dev/fuse (10:229) is not needed because nothing allows it in the first
 * place. `m` on every node stays, as in Docker: a container with CAP_MKNOD
 * may make any node, but cannot open one the list does not allow.
 */
import { TscComposeError } from '../../errors/index.js';
import type { DeviceRule } from './rules.js';

const rwm = (type: 'b' | 'c', major: number | '*', minor: number | '*'): DeviceRule => ({ allow: true, type, major, minor, access: 'rwm' });

export const DENY_ALL: DeviceRule = { allow: false, type: 'a', access: 'rwm' };
export const ALLOW_ALL: DeviceRule = { allow: true, type: 'a', access: 'rwm' };

/** After DENY_ALL, in this order. */
export const DEFAULT_ALLOWED: readonly DeviceRule[] = [
  { allow: true, type: 'c', major: '*', minor: '*', access: 'm' },
  { allow: true, type: 'b', major: '*', minor: '*', access: 'm' },
  rwm('c', 1, 3), // null
  rwm('c', 1, 5), // zero
  rwm('c', 1, 7), // full
  rwm('c', 1, 8), // random
  rwm('c', 1, 9), // urandom
  rwm('c', 5, 0), // tty
  rwm('c', 5, 1), // console
  rwm('c', 5, 2), // ptmx
  rwm('c', 136, '*'), // pts
];

export const TUN: DeviceRule = rwm('c', 10, 200);

/** A host device given to the container (`devices: - /dev/sda:/dev/xvda:rwm`), already resolved to its node. */
export interface MappedDevice {
  type: 'b' | 'c';
  major: number;
  minor: number;
  /** The cgroup permissions after the second colon; Docker's default is rwm. */
  permissions?: string | undefined;
}

export interface DeviceRulesInput {
  privileged?: boolean | undefined;
  devices?: readonly MappedDevice[] | undefined;
  /** As written in the file: `c 1:3 mr`, `b 8:* rwm`, `a 7:* rw`. */
  deviceCgroupRules?: readonly string[] | undefined;
  /** Allow /dev/net/tun (c 10:200 rwm), which Docker's runtime allows by default. */
  tun?: boolean | undefined;
}

/** Docker's syntax (moby's deviceCgroupRuleRegex). */
const CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

function ruleNumber(text: string, rule: string): number | '*' {
  if (text === '*') return '*';
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new TscComposeError('TSC_CGROUP_RESOURCES', `device_cgroup_rules: "${rule}" has a device number out of range`);
  return n;
}

/**
 * One `device_cgroup_rules` entry as allow rules. Type `a` names both block
 * and character devices with those numbers and that access: it becomes a `b`
 * and a `c` rule. (Written as is to a v1 cgroup, as Docker does, any `a`
 * rule, even `a 7:* r`, would allow every device with every access: the
 * kernel reads nothing after the `a`.)
 */
function parseCgroupRule(rule: string): DeviceRule[] {
  const m = CGROUP_RULE.exec(rule);
  if (!m) throw new TscComposeError('TSC_CGROUP_RESOURCES', `device_cgroup_rules: "${rule}" is not a rule like 'c 1:3 mr' (type a, b or c; major:minor, each a number or *; access of r, w, m)`);
  const [, type, major, minor, access] = m as unknown as [string, 'a' | 'b' | 'c', string, string, string];
  const numbers = { major: ruleNumber(major, rule), minor: ruleNumber(minor, rule) };
  const types: Array<'b' | 'c'> = type === 'a' ? ['b', 'c'] : [type];
  return types.map((t) => ({ allow: true, type: t, ...numbers, access }));
}

/**
 * The ordered rule list for a container's device cgroup (what
 * `CgroupResources.devices` takes). Privileged: allow everything (Docker
 * ignores device_cgroup_rules then; the mapped devices are allowed anyway).
 * Otherwise deny everything, then Docker's defaults, /dev/net/tun if asked,
 * each mapped device with its permissions, then each device_cgroup_rules
 * entry.
 */
export function deviceRules(input: DeviceRulesInput = {}): DeviceRule[] {
  if (input.privileged === true) return [ALLOW_ALL];
  const rules: DeviceRule[] = [DENY_ALL, ...DEFAULT_ALLOWED];
  if (input.tun === true) rules.push(TUN);
  for (const d of input.devices ?? []) {
    rules.push({ allow: true, type: d.type, major: d.major, minor: d.minor, access: d.permissions ?? 'rwm' });
  }
  for (const text of input.deviceCgroupRules ?? []) rules.push(...parseCgroupRule(text));
  return rules;
}
