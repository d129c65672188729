/**
 * The bridge of one network: a Linux bridge with the gateway address, up;
 * and the host settings container networking needs, changed only as far as
 * needed: IPv4 forwarding on (as Docker does), and route_localnet on tsc's
 * own bridges so published ports answer on 127.0.0.1 (DNAT'd packets keep
 * their loopback source until masqueraded on the way into the bridge).
 */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { SyscallError, TscComposeError } from '../../errors/index.js';
import { delLink, linkUp, newAddress, newBridge, setMtu } from './netlink.js';
import { ifIndex, withRtnl } from '../../sys/netlink.js';

export interface BridgeLink {
  bridge: string;
  gateway: string;
  prefix: number;
  mtu?: number | undefined;
}

/** A locally administered unicast MAC derived from the bridge name (the same after an engine restart). */
export function bridgeMac(bridge: string): string {
  const digest = createHash('sha256').update(bridge).digest();
  return [0x02, ...digest.subarray(0, 5)].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/**
 * Creates the bridge if missing and puts back whatever is missing on an
 * existing one (an engine restart), without reading anything first: every
 * request is idempotent (an address is replaced, up is up), nothing forks.
 */
export function ensureBridgeLink(b: BridgeLink): void {
  withRtnl((rtnl) => {
    if (ifIndex(b.bridge) === 0) {
      try {
        // A fixed address: otherwise the bridge takes the lowest address of its ports, which changes when a
        // container goes, and the other containers' ARP entry for the gateway (their DNS server) goes stale.
        rtnl.request(`bridge ${b.bridge}`, newBridge(rtnl.nextSeq(), b.bridge, b.mtu, bridgeMac(b.bridge)));
      } catch (err) {
        // Created meanwhile by another caller: just as good.
        if (!(err instanceof SyscallError && err.errnoName === 'EEXIST')) throw err;
      }
    } else if (b.mtu) rtnl.request(`mtu ${b.bridge}`, setMtu(rtnl.nextSeq(), b.bridge, b.mtu));
    rtnl.request(`address ${b.gateway}/${b.prefix} on ${b.bridge}`, newAddress(rtnl.nextSeq(), ifIndex(b.bridge), b.gateway, b.prefix));
    rtnl.request(`${b.bridge} up`, linkUp(rtnl.nextSeq(), b.bridge));
  });
}

export function removeBridgeLink(bridge: string): void {
  if (ifIndex(bridge) === 0) return;
  withRtnl((rtnl) => {
    try {
      rtnl.request(`delete ${bridge}`, delLink(rtnl.nextSeq(), bridge));
    } catch (err) {
      if (!(err instanceof SyscallError && err.errnoName === 'ENODEV')) throw err;
    }
  });
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
    throw new TscComposeError('TSC_SYSCTL_WRITE', `cannot set ${name} to ${value}: ${(err as Error).message}`, { cause: err });
  }
}

export function enableBridgeSysctls(bridge: string): void {
  ensureSysctl('net.ipv4.ip_forward', '1');
  // Interface names may not contain dots, so the dotted form is unambiguous.
  ensureSysctl(`net.ipv4.conf.${bridge}.route_localnet`, '1');
}
