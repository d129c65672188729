/** What the kernel says about a process, by pid. */
import * as fs from 'node:fs';

/**
 * True for a process that exists and is not a zombie: one that can still
 * run. A zombie has finished (it only waits for its parent to collect its
 * status), so it counts as gone here.
 */
export function isLiveProcess(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone we may not signal.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which is in parentheses and may contain anything.
    const close = stat.lastIndexOf(')');
    return stat.slice(close + 2, close + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The capabilities this process holds and can pass on: its permitted set
 * within its bounding set (/proc/self/status). In a VM sandbox, nested
 * container or Docker-in-Docker this is less than every capability the
 * kernel knows, and a child can never get more.
 */
export function heldCapabilities(status = fs.readFileSync('/proc/self/status', 'utf8')): bigint {
  const field = (name: string): bigint => {
    const m = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    return m ? BigInt(`0x${m[1]}`) : 0n;
  };
  return field('CapPrm') & field('CapBnd');
}
