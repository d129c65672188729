/**
 * tsc-compose's packet rules, in its own iptables chains (TSC-*), hooked into
 * the built-in chains by one jump each, so Docker's and Podman's rules and a
 * DROP FORWARD policy (as dockerd leaves it) do not interfere.
 *
 *   filter FORWARD      -> TSC-FORWARD: first TSC-ISOLATE, then per-bridge accepts/drops
 *   filter TSC-ISOLATE  : internal bridges fenced in; published (DNAT'd) traffic passes;
 *                         traffic leaving a bridge -> TSC-ISOLATE2, which drops it if it
 *                         enters another tsc bridge (Docker's two-stage isolation)
 *   nat PREROUTING/OUTPUT (dst local) -> TSC-DNAT: published ports
 *   nat POSTROUTING     -> TSC-POSTROUTING: masquerade out, from 127/8, hairpin
 *   filter INPUT        -> TSC-INPUT: a bridge may not reach the host's loopback
 *   raw PREROUTING      -> TSC-PREROUTING: a port published on 127.x is reachable
 *                          only from this host's loopback
 *
 * The two last are walls, not plumbing. Publishing on 127.0.0.1 needs
 * route_localnet on the bridge (loopback-sourced packets must be routable into
 * it), and route_localnet also lets a container send to 127.0.0.1 through the
 * gateway's MAC (a raw socket suffices, CAP_NET_RAW is a default capability)
 * and reach host services bound to loopback only: TSC-INPUT drops packets from
 * a bridge to 127/8 that are not replies (Kubernetes' guard for CVE-2020-8558).
 * And the DNAT of a 127.x port happens before routing, so a neighbour on the
 * link that sends to 127.0.0.1 through this host's MAC would be forwarded to
 * the container: TSC-PREROUTING drops those in the raw table, before NAT (the
 * guard Docker added for the same bug).
 *
 * Every rule carries a comment naming its owner (`tsc:base`, `tsc:br:<bridge>`,
 * `tsc:port:<container>:<proto>:<hostIp>:<hostPort>`); that is how rules are
 * found again, compared and removed. Rules are written in the canonical form
 * iptables-save prints, so "already there" is a string comparison and an
 * idempotent call changes nothing. Everything here is pure: it turns the text
 * of `iptables-save` plus a wish into `iptables-restore --noflush` input.
 */

export type Table = 'raw' | 'filter' | 'nat';
export const TABLES: readonly Table[] = ['raw', 'filter', 'nat'];

export const CHAINS: Record<Table, readonly string[]> = {
  raw: ['TSC-PREROUTING'],
  filter: ['TSC-FORWARD', 'TSC-ISOLATE', 'TSC-ISOLATE2', 'TSC-INPUT'],
  nat: ['TSC-DNAT', 'TSC-POSTROUTING'],
};

export const CHAIN_PREFIX = 'TSC-';
const BASE = 'tsc:base';

export interface Rule {
  table: Table;
  chain: string;
  /** Everything after `-A CHAIN`, canonical (as iptables-save prints it). */
  spec: string;
  /** Rules that must come before the others of the chain are inserted (-I) rather than appended. */
  insert?: boolean;
}

export interface BridgeRules {
  bridge: string;
  subnet: string;
  internal: boolean;
}

export interface PortRule {
  owner: string;
  protocol: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

const comment = (owner: string): string => `-m comment --comment "${owner}"`;

export const bridgeOwner = (bridge: string): string => `tsc:br:${bridge}`;
export const portOwnerPrefix = (owner: string): string => `tsc:port:${owner}:`;
export function portOwner(p: Pick<PortRule, 'owner' | 'protocol' | 'hostIp' | 'hostPort'>): string {
  return `${portOwnerPrefix(p.owner)}${p.protocol}:${p.hostIp === '' ? '0.0.0.0' : p.hostIp}:${p.hostPort}`;
}

/** The jumps from the built-in chains and the fixed head of tsc's chains. */
export function baseRules(): Rule[] {
  const c = comment(BASE);
  return [
    { table: 'filter', chain: 'FORWARD', spec: `${c} -j TSC-FORWARD`, insert: true },
    { table: 'filter', chain: 'TSC-FORWARD', spec: `${c} -j TSC-ISOLATE`, insert: true },
    { table: 'filter', chain: 'INPUT', spec: `${c} -j TSC-INPUT`, insert: true },
    { table: 'raw', chain: 'PREROUTING', spec: `${c} -j TSC-PREROUTING`, insert: true },
    { table: 'filter', chain: 'TSC-ISOLATE', spec: `-m conntrack --ctstate DNAT ${c} -j RETURN` },
    { table: 'nat', chain: 'PREROUTING', spec: `-m addrtype --dst-type LOCAL ${c} -j TSC-DNAT`, insert: true },
    { table: 'nat', chain: 'OUTPUT', spec: `-m addrtype --dst-type LOCAL ${c} -j TSC-DNAT`, insert: true },
    { table: 'nat', chain: 'POSTROUTING', spec: `${c} -j TSC-POSTROUTING`, insert: true },
  ];
}

/** The rules of one bridge. */
export function bridgeRules(b: BridgeRules): Rule[] {
  const c = comment(bridgeOwner(b.bridge));
  const br = b.bridge;
  const noHostLoopback: Rule = { table: 'filter', chain: 'TSC-INPUT', spec: `-d 127.0.0.0/8 -i ${br} -m conntrack ! --ctstate RELATED,ESTABLISHED ${c} -j DROP` };
  if (b.internal) {
    // Nothing enters or leaves an internal bridge, published ports included (as Docker: no ports on internal networks).
    return [
      { table: 'filter', chain: 'TSC-ISOLATE', spec: `-i ${br} ! -o ${br} ${c} -j DROP`, insert: true },
      { table: 'filter', chain: 'TSC-ISOLATE', spec: `! -i ${br} -o ${br} ${c} -j DROP`, insert: true },
      { table: 'filter', chain: 'TSC-ISOLATE2', spec: `-o ${br} ${c} -j DROP` },
      // Bridged traffic passes FORWARD when br_netfilter is loaded (Docker loads it); a DROP policy must not cut a network in two.
      { table: 'filter', chain: 'TSC-FORWARD', spec: `-i ${br} -o ${br} ${c} -j ACCEPT` },
      noHostLoopback,
    ];
  }
  return [
    noHostLoopback,
    { table: 'filter', chain: 'TSC-ISOLATE', spec: `-i ${br} ! -o ${br} ${c} -j TSC-ISOLATE2` },
    { table: 'filter', chain: 'TSC-ISOLATE2', spec: `-o ${br} ${c} -j DROP` },
    { table: 'filter', chain: 'TSC-FORWARD', spec: `-o ${br} -m conntrack --ctstate RELATED,ESTABLISHED ${c} -j ACCEPT` },
    { table: 'filter', chain: 'TSC-FORWARD', spec: `-o ${br} -m conntrack --ctstate DNAT ${c} -j ACCEPT` },
    { table: 'filter', chain: 'TSC-FORWARD', spec: `-i ${br} ${c} -j ACCEPT` },
    { table: 'filter', chain: 'TSC-FORWARD', spec: `-o ${br} ${c} -j DROP` },
    { table: 'nat', chain: 'TSC-POSTROUTING', spec: `-s ${b.subnet} ! -o ${br} ${c} -j MASQUERADE` },
    // Published ports on 127.0.0.1: loopback-sourced packets routed into the bridge (route_localnet) get the gateway as source.
    { table: 'nat', chain: 'TSC-POSTROUTING', spec: `-s 127.0.0.0/8 -o ${br} ${c} -j MASQUERADE` },
    // Hairpin: a container reaching a published port of its own network through a host address gets replies back through the host.
    { table: 'nat', chain: 'TSC-POSTROUTING', spec: `-s ${b.subnet} -o ${br} -m conntrack --ctstate DNAT ${c} -j MASQUERADE` },
  ];
}

/** Whether a host address is a loopback one (127.0.0.0/8). */
export function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.');
}

export function portRules(p: PortRule): Rule[] {
  const dst = p.hostIp && p.hostIp !== '0.0.0.0' ? `-d ${p.hostIp}/32 ` : '';
  const owner = comment(portOwner(p));
  // Only this host's own processes may reach a port published on a loopback address.
  const loopbackOnly: Rule[] = isLoopbackAddress(p.hostIp)
    ? [{ table: 'raw', chain: 'TSC-PREROUTING', spec: `-d ${p.hostIp}/32 ! -i lo -p ${p.protocol} -m ${p.protocol} --dport ${p.hostPort} ${owner} -j DROP` }]
    : [];
  return [
    ...loopbackOnly,
    {
      table: 'nat',
      chain: 'TSC-DNAT',
      spec: `${dst}-p ${p.protocol} -m ${p.protocol} --dport ${p.hostPort} ${owner} -j DNAT --to-destination ${p.containerIp}:${p.containerPort}`,
    },
  ];
}

/** What `iptables-save` says about one table. */
export interface SavedTable {
  chains: Set<string>;
  /** Rule lines without the leading `-A `: `CHAIN spec`. */
  rules: string[];
}
export type Saved = Record<Table, SavedTable>;

export function parseSave(text: string): Saved {
  const saved: Saved = { raw: { chains: new Set(), rules: [] }, filter: { chains: new Set(), rules: [] }, nat: { chains: new Set(), rules: [] } };
  let current: SavedTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) current = (TABLES as readonly string[]).includes(line.slice(1).trim()) ? saved[line.slice(1).trim() as Table] : undefined;
    else if (!current) continue;
    else if (line.startsWith(':')) current.chains.add(line.slice(1).split(' ')[0] as string);
    else if (line.startsWith('-A ')) current.rules.push(line.slice(3).trim());
  }
  return saved;
}

/** The owner comment of a saved rule, quoted or not. */
export function ruleOwner(rule: string): string | undefined {
  const m = /--comment (?:"([^"]*)"|(\S+))/.exec(rule);
  return m ? (m[1] ?? m[2]) : undefined;
}

const normalize = (line: string): string => line.replace(/"/g, '').replace(/\s+/g, ' ').trim();
const ruleLine = (r: Rule): string => `${r.chain} ${r.spec}`;

/** The iptables-restore input of a plan, tables in order, empty when there is nothing to do. */
export function restoreText(lines: Record<Table, string[]>): string {
  let out = '';
  for (const t of TABLES) if (lines[t].length > 0) out += `*${t}\n${lines[t].join('\n')}\nCOMMIT\n`;
  return out;
}

function emptyPlan(): Record<Table, string[]> {
  return { raw: [], filter: [], nat: [] };
}

/** Chains and base rules that are missing (never re-declares a chain: with --noflush that would flush it). */
function planBase(saved: Saved, plan: Record<Table, string[]>): void {
  for (const t of TABLES) for (const chain of CHAINS[t]) if (!saved[t].chains.has(chain)) plan[t].push(`:${chain} - [0:0]`);
  for (const r of baseRules()) {
    const present = saved[r.table].rules.some((l) => normalize(l) === normalize(ruleLine(r)));
    if (!present) plan[r.table].push(r.insert ? `-I ${r.chain} 1 ${r.spec}` : `-A ${ruleLine(r)}`);
  }
}

/**
 * Makes the owner's rules exactly `wanted`: nothing when they already are,
 * otherwise the old ones deleted and the wanted ones added in one transaction.
 */
function planOwner(saved: Saved, owner: (o: string) => boolean, wanted: Rule[], plan: Record<Table, string[]>): void {
  for (const t of TABLES) {
    const existing = saved[t].rules.filter((l) => {
      const o = ruleOwner(l);
      return o !== undefined && owner(o);
    });
    const want = wanted.filter((r) => r.table === t);
    const same = existing.length === want.length && want.every((r) => existing.some((l) => normalize(l) === normalize(ruleLine(r))));
    if (same) continue;
    for (const l of existing) plan[t].push(`-D ${l}`);
    for (const r of want) plan[t].push(r.insert ? `-I ${r.chain} 1 ${r.spec}` : `-A ${ruleLine(r)}`);
  }
}

export function planEnsureBridge(saved: Saved, b: BridgeRules): string {
  const plan = emptyPlan();
  planBase(saved, plan);
  const name = bridgeOwner(b.bridge);
  planOwner(saved, (o) => o === name, bridgeRules(b), plan);
  return restoreText(plan);
}

export function planPublish(saved: Saved, p: PortRule): string {
  const plan = emptyPlan();
  planBase(saved, plan);
  const name = portOwner(p);
  planOwner(saved, (o) => o === name, portRules(p), plan);
  return restoreText(plan);
}

export function planUnpublish(saved: Saved, owner: string): string {
  const plan = emptyPlan();
  const prefix = portOwnerPrefix(owner);
  planOwner(saved, (o) => o.startsWith(prefix), [], plan);
  return restoreText(plan);
}

/** Whether any bridge still has rules (while one does, tsc's chains stay). */
export function hasBridgeRules(saved: Saved): boolean {
  return TABLES.some((t) => saved[t].rules.some((l) => ruleOwner(l)?.startsWith('tsc:br:') === true));
}

/** Everything tsc added: the jumps (and any rule) into TSC-* chains, then the chains themselves. */
export function planRemoveAll(saved: Saved): string {
  const plan = emptyPlan();
  for (const t of TABLES) {
    const ours = [...saved[t].chains].filter((c) => c.startsWith(CHAIN_PREFIX));
    for (const l of saved[t].rules) {
      const chain = l.split(' ')[0] as string;
      const target = /(?:^|\s)-[jg] (\S+)/.exec(l)?.[1];
      if (!chain.startsWith(CHAIN_PREFIX) && target?.startsWith(CHAIN_PREFIX)) plan[t].push(`-D ${l}`);
    }
    for (const c of ours) plan[t].push(`-F ${c}`);
    for (const c of ours) plan[t].push(`-X ${c}`);
  }
  return restoreText(plan);
}

/** Removes one bridge's rules; when it was the last bridge, everything tsc added goes. */
export function planRemoveBridge(saved: Saved, bridge: string): string {
  const name = bridgeOwner(bridge);
  const without = (t: SavedTable): SavedTable => ({ chains: t.chains, rules: t.rules.filter((l) => ruleOwner(l) !== name) });
  const remaining: Saved = { raw: without(saved.raw), filter: without(saved.filter), nat: without(saved.nat) };
  if (!hasBridgeRules(remaining)) return planRemoveAll(saved);
  const plan = emptyPlan();
  planOwner(saved, (o) => o === name, [], plan);
  return restoreText(plan);
}
