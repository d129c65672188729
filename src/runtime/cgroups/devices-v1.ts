/**
 * The writes that take a v1 devices cgroup from what its devices.list shows
 * to a target policy. A first apply (a new cgroup inherits "allow all")
 * writes the whole policy: `a` to reset, then each exception. A later apply
 * to a cgroup already in deny-by-default mode writes only the difference,
 * grants before removals, so a running container never loses, even for a
 * moment, a device both policies allow (writing `devices.deny a` again would
 * take /dev/null away until the allow lines follow; runc avoids that the
 * same way). Pure.
 */
import { ACCESS, exceptionLine, type DeviceException, type DevicePolicy } from '../devices/rules.js';

/** Rules for one file, each to be written with a write() of its own, in order. */
export interface DeviceWrite {
  file: 'devices.allow' | 'devices.deny';
  values: string[];
}

type Line = { file: DeviceWrite['file']; value: string };

/** Consecutive lines for one file become one DeviceWrite (one descriptor); the order across files is kept. */
function grouped(lines: Line[]): DeviceWrite[] {
  const out: DeviceWrite[] = [];
  for (const l of lines) {
    const last = out[out.length - 1];
    if (last?.file === l.file) last.values.push(l.value);
    else out.push({ file: l.file, values: [l.value] });
  }
  return out;
}

const LIST_LINE = /^([bc]) (\d+|\*):(\d+|\*) ([rwm]+)$/;

/**
 * devices.list: `a *:* rwm` alone in allow-by-default mode (the kernel does
 * not print that mode's exceptions), otherwise one line per allowed device.
 * undefined when it cannot be read as either.
 */
export function parseDevicesList(text: string): { defaultAllow: true } | { defaultAllow: false; exceptions: DeviceException[] } | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 1 && lines[0] === 'a *:* rwm') return { defaultAllow: true };
  const exceptions: DeviceException[] = [];
  for (const line of lines) {
    const m = LIST_LINE.exec(line);
    if (!m) return undefined;
    const [, type, major, minor, access] = m as unknown as [string, 'b' | 'c', string, string, string];
    let bits = 0;
    for (const ch of access) bits |= ACCESS[ch as keyof typeof ACCESS];
    exceptions.push({ type, major: major === '*' ? undefined : Number(major), minor: minor === '*' ? undefined : Number(minor), access: bits });
  }
  return { defaultAllow: false, exceptions };
}

function wholePolicy(target: DevicePolicy): Line[] {
  const reset: Line = { file: target.defaultAllow ? 'devices.allow' : 'devices.deny', value: 'a' };
  const exceptionFile = target.defaultAllow ? 'devices.deny' : 'devices.allow';
  return [reset, ...target.exceptions.map((e): Line => ({ file: exceptionFile, value: exceptionLine(e, e.access) }))];
}

const key = (e: DeviceException): string => exceptionLine(e, 0);

export function v1DeviceWrites(devicesList: string, target: DevicePolicy): DeviceWrite[] {
  const current = parseDevicesList(devicesList);
  if (current === undefined || current.defaultAllow || target.defaultAllow) return grouped(wholePolicy(target));
  const now = new Map(current.exceptions.map((e) => [key(e), e]));
  const wanted = new Map(target.exceptions.map((e) => [key(e), e]));
  const writes: Line[] = [];
  for (const [k, e] of wanted) {
    const missing = e.access & ~(now.get(k)?.access ?? 0);
    if (missing !== 0) writes.push({ file: 'devices.allow', value: exceptionLine(e, missing) });
  }
  for (const [k, e] of now) {
    const extra = e.access & ~(wanted.get(k)?.access ?? 0);
    if (extra !== 0) writes.push({ file: 'devices.deny', value: exceptionLine(e, extra) });
  }
  return grouped(writes);
}
