/**
 * The kernel side of container networking, driven by the engine: bridges with
 * a gateway address, one persistent network namespace per container (it
 * outlives the container's processes, so a restart keeps its address and a
 * `network_mode: service:x` peer follows it), veth pairs into bridges,
 * masquerading, isolation between networks, published ports (DNAT plus a
 * reserving socket). The engine decides names and addresses; this module
 * only carries them out, with batched `ip` and `iptables-restore` calls.
 */
import * as fs from 'node:fs';
import { TscComposeError } from '../../errors/index.js';
import { ipBatch, mustRun, run } from './commands.js';
import { applyLines, bridgeRuleLines, ensureChains, hasOwnerRules, portRuleLines, removeChains, removeOwnerRules, ruleHasOwner } from './firewall.js';
import type { PortRule } from './firewall.js';
import { reservePort } from './ports.js';
import type { Reservation } from './ports.js';

export interface BridgeSpec {
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  mtu?: number | undefined;
}

export interface Attachment {
  bridge: string;
  hostIfname: string;
  ifname: string;
  address: string;
  prefix: number;
  gateway: string;
  mac?: string | undefined;
  mtu?: number | undefined;
  defaultRoute: boolean;
}

export interface PortBinding {
  owner: string;
  protocol: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  service?: string | undefined;
}

export const NETNS_DIR = '/run/netns';

export function sandboxName(id: string): string {
  return `tsc-${id.slice(0, 12)}`;
}

function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

function writeSysctl(path: string, value: string): void {
  try {
    if (fs.readFileSync(path, 'utf8').trim() !== value) fs.writeFileSync(path, value);
  } catch (err) {
    throw new TscComposeError('TSC_SYSCTL_WRITE', 'permission', `cannot set ${path} to ${value}: ${(err as Error).message}`);
  }
}

export class NetworkHost {
  private readonly reservations = new Map<string, Array<{ key: string; reservation: Reservation }>>();

  async ensureBridge(spec: BridgeSpec): Promise<void> {
    const prefix = spec.subnet.split('/')[1];
    if (!linkExists(spec.bridge)) {
      const lines = [`link add name ${spec.bridge} type bridge`];
      if (spec.mtu) lines.push(`link set ${spec.bridge} mtu ${spec.mtu}`);
      lines.push(`addr add ${spec.gateway}/${prefix} dev ${spec.bridge}`, `link set ${spec.bridge} up`);
      await ipBatch(lines);
    } else {
      const addrs = await mustRun('ip', ['-o', '-4', 'addr', 'show', 'dev', spec.bridge]);
      const lines: string[] = [];
      if (!addrs.includes(` ${spec.gateway}/${prefix} `)) lines.push(`addr add ${spec.gateway}/${prefix} dev ${spec.bridge}`);
      lines.push(`link set ${spec.bridge} up`);
      await ipBatch(lines);
    }
    // Like Docker: forwarding on for container traffic; loopback-sourced packets may leave into the bridge (published ports on 127.0.0.1).
    writeSysctl('/proc/sys/net/ipv4/ip_forward', '1');
    writeSysctl(`/proc/sys/net/ipv4/conf/${spec.bridge}/route_localnet`, '1');
    await ensureChains();
    if (!(await hasOwnerRules(spec.bridge, 'filter', 'TSC-FORWARD'))) {
      await applyLines(bridgeRuleLines({ bridge: spec.bridge, subnet: spec.subnet, internal: spec.internal }));
    }
  }

  async removeBridge(spec: BridgeSpec): Promise<void> {
    await removeOwnerRules(spec.bridge);
    if (linkExists(spec.bridge)) await run('ip', ['link', 'del', spec.bridge]);
    const others = fs.readdirSync('/sys/class/net').filter((n) => n.startsWith('tscbr'));
    if (others.length === 0) await removeChains();
  }

  async createSandbox(id: string): Promise<string> {
    const name = sandboxName(id);
    const path = `${NETNS_DIR}/${name}`;
    if (!fs.existsSync(path)) {
      await mustRun('ip', ['netns', 'add', name]);
      await ipBatch(['link set lo up'], name);
    }
    return path;
  }

  async removeSandbox(id: string): Promise<void> {
    const name = sandboxName(id);
    if (fs.existsSync(`${NETNS_DIR}/${name}`)) await run('ip', ['netns', 'del', name]);
  }

  async attach(sandboxPath: string, a: Attachment): Promise<void> {
    const ns = sandboxPath.split('/').pop() as string;
    if (linkExists(a.hostIfname)) await run('ip', ['link', 'del', a.hostIfname]);
    const peer = `${a.hostIfname}p`;
    const host = [`link add ${a.hostIfname}${a.mtu ? ` mtu ${a.mtu}` : ''} type veth peer name ${peer}${a.mtu ? ` mtu ${a.mtu}` : ''} netns ${ns}`, `link set ${a.hostIfname} master ${a.bridge}`, `link set ${a.hostIfname} up`];
    await ipBatch(host);
    const inside = [`link set ${peer} name ${a.ifname}`];
    if (a.mac) inside.push(`link set ${a.ifname} address ${a.mac}`);
    inside.push(`addr add ${a.address}/${a.prefix} dev ${a.ifname}`, `link set ${a.ifname} up`);
    if (a.defaultRoute) inside.push(`route add default via ${a.gateway} dev ${a.ifname}`);
    await ipBatch(inside, ns);
  }

  async publish(b: PortBinding): Promise<{ hostPort: number }> {
    const list = this.reservations.get(b.owner) ?? [];
    const key = `${b.protocol}/${b.hostIp}/${b.hostPort}/${b.containerPort}`;
    const held = list.find((r) => r.key === key);
    const reservation = held?.reservation ?? (await reservePort(b.protocol, b.hostIp, b.hostPort, b.service));
    if (!held) list.push({ key, reservation });
    this.reservations.set(b.owner, list);
    const rule: PortRule = { owner: b.owner, protocol: b.protocol, hostIp: b.hostIp, hostPort: reservation.port, containerIp: b.containerIp, containerPort: b.containerPort };
    const lines = portRuleLines(rule);
    await ensureChains();
    const existing = await run('iptables', ['-w', '5', '-t', 'nat', '-S', 'TSC-DNAT']);
    const dnatLine = lines[0] as string;
    const present = existing.stdout.split('\n').some((l) => l.includes(`--dport ${reservation.port} `) && ruleHasOwner(l, b.owner) && l.includes(`-p ${b.protocol}`));
    if (!present) await applyLines({ nat: [dnatLine, lines[1] as string] });
    return { hostPort: reservation.port };
  }

  async unpublish(owner: string): Promise<void> {
    const list = this.reservations.get(owner) ?? [];
    this.reservations.delete(owner);
    await Promise.all(list.map((r) => r.reservation.close()));
    await removeOwnerRules(owner);
  }

  /** Subnets of every address and route on the host, so a new network never overlaps one. */
  async usedSubnets(): Promise<string[]> {
    const out = new Set<string>();
    const addrs = await mustRun('ip', ['-o', '-4', 'addr', 'show']);
    for (const m of addrs.matchAll(/inet (\d+\.\d+\.\d+\.\d+\/\d+)/g)) out.add(m[1] as string);
    const routes = await mustRun('ip', ['-4', 'route', 'show', 'table', 'all']);
    for (const line of routes.split('\n')) {
      const m = /^(?:\w+ )?(\d+\.\d+\.\d+\.\d+(?:\/\d+)?)\s/.exec(line);
      if (m && !line.startsWith('default') && !line.startsWith('local') && !line.startsWith('broadcast')) out.add((m[1] as string).includes('/') ? (m[1] as string) : `${m[1]}/32`);
    }
    return [...out].filter((c) => !c.startsWith('127.'));
  }

  async close(): Promise<void> {
    const all = [...this.reservations.values()].flat();
    this.reservations.clear();
    await Promise.all(all.map((r) => r.reservation.close()));
  }
}

/** Everything tsc made on this host: for tests and for a manual reset. */
export async function removeEverythingTsc(): Promise<void> {
  if (fs.existsSync(NETNS_DIR)) for (const ns of fs.readdirSync(NETNS_DIR).filter((n) => n.startsWith('tsc-'))) await run('ip', ['netns', 'del', ns]);
  for (const link of fs.readdirSync('/sys/class/net').filter((n) => n.startsWith('tscbr') || n.startsWith('tscv'))) await run('ip', ['link', 'del', link]);
  await removeChains();
}
