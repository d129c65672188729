/**
 * The kernel side of container networking, driven by the engine: bridges with
 * a gateway address, one persistent network namespace per container, veth
 * pairs into bridges, masquerading, isolation between networks, published
 * ports (DNAT plus a reserving socket). The engine decides names and
 * addresses (IPAM); this module only carries them out: links, addresses,
 * routes and namespaces over rtnetlink from this process (no fork), and one
 * `iptables-save` + at most one `iptables-restore --noflush` per firewall
 * change.
 *
 * Everything acts on the network namespace of the calling thread (the host's
 * for the engine; tests run in a private one).
 */
import { isIPv4 } from 'node:net';
import { TscComposeError } from '../../errors/index.js';
import { enableBridgeSysctls, ensureBridgeLink, removeBridgeLink } from './bridge.js';
import { iptablesRestore, iptablesSave, ipBatchForce } from './commands.js';
import { parseSave, planEnsureBridge, planPublish, planRemoveAll, planRemoveBridge, planUnpublish } from './firewall.js';
import type { Saved } from './firewall.js';
import { hostLinks, usedSubnets } from './host-addresses.js';
import { createNetns, listNetns, removeNetns, SANDBOX_PREFIX, sandboxName } from './netns.js';
import { reservePort } from './ports.js';
import type { Reservation } from './ports.js';
import { attachVeth } from './veth.js';

export { sandboxName } from './netns.js';

export interface BridgeSpec {
  /** Interface name, at most 15 characters, e.g. `tscbr-1a2b3c4d`. */
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  mtu?: number | undefined;
}

export interface Attachment {
  bridge: string;
  /** Host end of the veth, at most 15 characters (`tscv` + hex). */
  hostIfname: string;
  /** Name inside the sandbox (`eth0`). */
  ifname: string;
  address: string;
  prefix: number;
  gateway: string;
  mac?: string | undefined;
  mtu?: number | undefined;
  defaultRoute: boolean;
}

export interface PortBinding {
  /** Container id. */
  owner: string;
  protocol: 'tcp' | 'udp';
  /** '' = every host address. */
  hostIp: string;
  /** 0 = a free port chosen by the kernel. */
  hostPort: number;
  containerIp: string;
  containerPort: number;
  service?: string | undefined;
}


interface HeldPort {
  key: string;
  reservation: Reservation;
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

function checkIfname(name: string, what: string): void {
  if (!IFNAME.test(name)) throw new TscComposeError('TSC_NET_IFNAME', `invalid ${what} "${name}": 1-15 letters, digits, '.', '-' or '_'`);
}

function prefixOf(subnet: string): number {
  const prefix = Number(subnet.split('/')[1]);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new TscComposeError('TSC_NET_SUBNET', `invalid subnet "${subnet}"`);
  return prefix;
}

/**
 * Reads the rules, plans, applies: one transaction. Changes within one
 * NetworkHost are serialised by the caller; another process (a second
 * NetworkHost, `engine reset`) may change the rules between the read and the
 * write, which makes the transaction fail as a whole, so it is planned again.
 */
async function applyFirewall(plan: (saved: Saved) => string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const text = plan(parseSave(await iptablesSave()));
    if (!text) return;
    try {
      await iptablesRestore(text);
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

export class NetworkHost {
  private readonly held = new Map<string, HeldPort[]>();
  /** Firewall changes are read-modify-write: one at a time within this engine. */
  private queue: Promise<unknown> = Promise.resolve();


  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async ensureBridge(spec: BridgeSpec): Promise<void> {
    checkIfname(spec.bridge, 'bridge name');
    const prefix = prefixOf(spec.subnet);
    await this.serial(async () => {
      ensureBridgeLink({ bridge: spec.bridge, gateway: spec.gateway, prefix, mtu: spec.mtu });
      enableBridgeSysctls(spec.bridge);
      await applyFirewall((s) => planEnsureBridge(s, { bridge: spec.bridge, subnet: spec.subnet, internal: spec.internal }));
    });
  }

  async removeBridge(spec: BridgeSpec): Promise<void> {
    await this.serial(async () => {
      removeBridgeLink(spec.bridge);
      await applyFirewall((s) => planRemoveBridge(s, spec.bridge));
    });
  }

  async createSandbox(id: string): Promise<string> {
    return createNetns(sandboxName(id));
  }

  async removeSandbox(id: string): Promise<void> {
    removeNetns(sandboxName(id));
  }

  async attach(sandboxPath: string, a: Attachment): Promise<void> {
    checkIfname(a.hostIfname, 'host interface name');
    checkIfname(a.ifname, 'interface name');
    await attachVeth(sandboxPath, a);
  }

  async publish(b: PortBinding): Promise<{ hostPort: number }> {
    const hostIp = b.hostIp === '0.0.0.0' ? '' : b.hostIp;
    if (hostIp !== '' && !isIPv4(hostIp)) {
      throw new TscComposeError('TSC_PORT_IPV6', `${b.service ? `service "${b.service}": ` : ''}cannot publish on ${hostIp}: only IPv4 host addresses are supported`, { service: b.service });
    }
    if (!isIPv4(b.containerIp)) throw new TscComposeError('TSC_PORT_ADDRESS', `invalid container address "${b.containerIp}"`, { service: b.service });
    // A random port is one per container port; a fixed one is one per host address and port.
    const key = `${b.protocol}/${hostIp}/${b.hostPort}${b.hostPort === 0 ? `/${b.containerPort}` : ''}`;
    const list = this.held.get(b.owner) ?? [];
    let entry = list.find((h) => h.key === key);
    const fresh = entry === undefined;
    if (!entry) {
      entry = { key, reservation: await reservePort(b.protocol, hostIp, b.hostPort, b.service) };
      list.push(entry);
      this.held.set(b.owner, list);
    }
    const hostPort = entry.reservation.port;
    try {
      await this.serial(() =>
        applyFirewall((s) => planPublish(s, { owner: b.owner, protocol: b.protocol, hostIp, hostPort, containerIp: b.containerIp, containerPort: b.containerPort })),
      );
    } catch (err) {
      if (fresh) {
        list.splice(list.indexOf(entry), 1);
        await entry.reservation.close();
      }
      throw err;
    }
    return { hostPort };
  }

  async unpublish(owner: string): Promise<void> {
    const list = this.held.get(owner) ?? [];
    this.held.delete(owner);
    await Promise.all(list.map((h) => h.reservation.close()));
    await this.serial(() => applyFirewall((s) => planUnpublish(s, owner)));
  }

  /** CIDRs of every address and route on the host, for IPAM to avoid. */
  async usedSubnets(): Promise<string[]> {
    return usedSubnets();
  }

  /** Lets go of the reserved ports; rules stay (containers outlive the engine). */
  async close(): Promise<void> {
    const all = [...this.held.values()].flat();
    this.held.clear();
    await Promise.all(all.map((h) => h.reservation.close()));
  }
}

export interface RemoveEverythingOptions {
  /**
   * Which `tsc-*` namespaces under /run/netns to remove (default: all).
   * /run/netns is shared by every network namespace of the machine, so a test
   * running in a private one passes its own.
   */
  netns?: (name: string) => boolean;
}

/** Everything tsc made: for tests. Every tsc* link, tsc-* netns, TSC-* chain and the jumps to them. */
export async function removeEverythingTsc(opts: RemoveEverythingOptions = {}): Promise<void> {
  for (const ns of listNetns().filter((n) => n.startsWith(SANDBOX_PREFIX) && (opts.netns?.(n) ?? true))) removeNetns(ns);
  await ipBatchForce(hostLinks().filter((n) => n.startsWith('tsc')).map((n) => `link del ${n}`));
  await applyFirewall(planRemoveAll);
}
