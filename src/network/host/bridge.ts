/**
 * The bridge of one network: a Linux bridge with the gateway address, up;
 * and the host settings container networking needs, changed only as far as
 * needed: IPv4 forwarding on (as Docker does), and route_localnet on tsc's
 * own bridges so published ports answer on 127.0.0.1 (DNAT'd packets keep
 * their loopback source until masqueraded on the way into the bridge).
 */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { TscComposeError } from '../../errors/index.js';
import { ipBatch, ipJson, run } from './commands.js';
import { hostLinks } from './host-addresses.js';

export interface BridgeLink {
  bridge: string;
  gateway: string;
  prefix: number;
  mtu?: number | undefined;
}

/** Pure: the `ip -batch` lines that create a bridge. */
export function createBridgeLines(b: BridgeLink): string[] {
  // A fixed address: otherwise the bridge takes the lowest address of its ports, which changes when a
  // container goes, and the other containers' ARP entry for the gateway (their DNS server) goes stale.
  return [
    `link add name ${b.bridge}${b.mtu ? ` mtu ${b.mtu}` : ''} address ${bridgeMac(b.bridge)} type bridge`,
    `addr add ${b.gateway}/${b.prefix} dev ${b.bridge}`,
    `link set ${b.bridge} up`,
  ];
}

/** A locally administered unicast MAC derived from the bridge name (the same after an engine restart). */
export function bridgeMac(bridge: string): string {
  const digest = createHash('sha256').update(bridge).digest();
  return [0x02, ...digest.subarray(0, 5)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export async function ensureBridgeLink(b: BridgeLink): Promise<void> {
  if (!hostLinks().includes(b.bridge)) {
    await ipBatch(createBridgeLines(b));
    return;
  }
  // Already there (an engine restart): put back what is missing without disturbing attached veths.
  const [info] = await ipJson<Array<{ flags?: string[]; mtu?: number; addr_info?: Array<{ local?: string; prefixlen?: number }> }>>(['addr', 'show', 'dev', b.bridge]);
  const lines: string[] = [];
  if (!info?.addr_info?.some((a) => a.local === b.gateway && a.prefixlen === b.prefix)) lines.push(`addr add ${b.gateway}/${b.prefix} dev ${b.bridge}`);
  if (b.mtu && info?.mtu !== b.mtu) lines.push(`link set ${b.bridge} mtu ${b.mtu}`);
  if (!info?.flags?.includes('UP')) lines.push(`link set ${b.bridge} up`);
  await ipBatch(lines);
}

export async function removeBridgeLink(bridge: string): Promise<void> {
  if (hostLinks().includes(bridge)) await run('ip', ['link', 'del', bridge]);
}

/**
 * Writes a sysctl of this thread's network namespace (sync on purpose: the
 * thread pool's threads may sit in another namespace than the caller's).
 */
export function ensureSysctl(name: string, value: string): void {
  const path = `/proc/sys/${name.replace(/\./g, '/')}`;
  try {
    if (fs.readFileSync(path, 'utf8').trim() !== value) fs.writeFileSync(path, value);
  } catch (err) {
    throw new TscComposeError('TSC_SYSCTL_WRITE', 'permission', `cannot set ${name} to ${value}: ${(err as Error).message}`, { cause: err });
  }
}

export function enableBridgeSysctls(bridge: string): void {
  ensureSysctl('net.ipv4.ip_forward', '1');
  // Interface names may not contain dots, so the dotted form is unambiguous.
  ensureSysctl(`net.ipv4.conf.${bridge}.route_localnet`, '1');
}
