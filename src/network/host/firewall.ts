/**
 * tsc-compose's packet rules, in its own iptables chains (TSC-*), hooked into
 * the built-in chains by one jump each, so Docker's and Podman's rules and a
 * DROP FORWARD policy (as dockerd leaves it) do not interfere. Every rule
 * carries a comment naming its owner (a bridge or a container), which is how
 * rules are found again and removed. Rule text is built by pure functions.
 */
import { iptables, iptablesRestore } from './commands.js';

export const CHAINS = {
  filter: ['TSC-FORWARD'],
  nat: ['TSC-PREROUTING', 'TSC-OUTPUT', 'TSC-POSTROUTING', 'TSC-DNAT'],
} as const;

const JUMPS: Array<{ table: 'filter' | 'nat'; chain: string; rule: string }> = [
  { table: 'filter', chain: 'FORWARD', rule: '-j TSC-FORWARD' },
  { table: 'nat', chain: 'PREROUTING', rule: '-m addrtype --dst-type LOCAL -j TSC-DNAT' },
  { table: 'nat', chain: 'OUTPUT', rule: '-m addrtype --dst-type LOCAL -j TSC-DNAT' },
  { table: 'nat', chain: 'POSTROUTING', rule: '-j TSC-POSTROUTING' },
];

export interface BridgeRules {
  bridge: string;
  subnet: string;
  internal: boolean;
}

const tag = (owner: string): string => `-m comment --comment "tsc:${owner}"`;

/** Filter and nat rules of one bridge (pure). */
export function bridgeRuleLines(b: BridgeRules): { filter: string[]; nat: string[] } {
  const t = tag(b.bridge);
  const filter = [
    // Published ports (DNAT'd) reach the bridge from anywhere, also from another tsc network.
    `-A TSC-FORWARD -o ${b.bridge} -m conntrack --ctstate DNAT ${t} -j ACCEPT`,
    `-A TSC-FORWARD -i ${b.bridge} -o ${b.bridge} ${t} -j ACCEPT`,
  ];
  const nat = [`-A TSC-POSTROUTING -o ${b.bridge} -m addrtype --src-type LOCAL ${t} -j MASQUERADE`];
  if (b.internal) {
    filter.push(`-A TSC-FORWARD -i ${b.bridge} ${t} -j DROP`, `-A TSC-FORWARD -o ${b.bridge} ${t} -j DROP`);
  } else {
    filter.push(
      `-A TSC-FORWARD -o ${b.bridge} -m conntrack --ctstate RELATED,ESTABLISHED ${t} -j ACCEPT`,
      // Two tsc networks are kept apart; out of the machine is allowed.
      `-A TSC-FORWARD -i ${b.bridge} -o tscbr+ ${t} -j DROP`,
      `-A TSC-FORWARD -i ${b.bridge} ${t} -j ACCEPT`,
      `-A TSC-FORWARD -o ${b.bridge} ${t} -j DROP`,
    );
    nat.push(`-A TSC-POSTROUTING -s ${b.subnet} ! -o ${b.bridge} ${t} -j MASQUERADE`);
  }
  return { filter, nat };
}

export interface PortRule {
  owner: string;
  protocol: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

export function portRuleLines(p: PortRule): string[] {
  const t = tag(p.owner);
  const dst = p.hostIp && p.hostIp !== '0.0.0.0' ? `-d ${p.hostIp} ` : '';
  return [
    `-A TSC-DNAT ${dst}-p ${p.protocol} --dport ${p.hostPort} ${t} -j DNAT --to-destination ${p.containerIp}:${p.containerPort}`,
    // Hairpin: a container reaching its own published port through the host.
    `-A TSC-POSTROUTING -s ${p.containerIp} -d ${p.containerIp} -p ${p.protocol} --dport ${p.containerPort} ${t} -j MASQUERADE`,
  ];
}

async function chainExists(table: string, chain: string): Promise<boolean> {
  return (await iptables(['-t', table, '-S', chain])).code === 0;
}

/** Creates the chains and the jumps into them (idempotent). */
export async function ensureChains(): Promise<void> {
  const lines: Record<'filter' | 'nat', string[]> = { filter: [], nat: [] };
  for (const table of ['filter', 'nat'] as const) {
    for (const chain of CHAINS[table]) if (!(await chainExists(table, chain))) lines[table].push(`:${chain} - [0:0]`);
  }
  for (const j of JUMPS) {
    const present = (await iptables(['-t', j.table, '-C', j.chain, ...splitRule(j.rule)])).code === 0;
    if (!present) lines[j.table].push(`-I ${j.chain} 1 ${j.rule}`);
  }
  await applyLines(lines);
}

export async function applyLines(lines: Partial<Record<'filter' | 'nat', string[]>>): Promise<void> {
  let input = '';
  for (const table of ['filter', 'nat'] as const) {
    const l = lines[table] ?? [];
    if (l.length === 0) continue;
    input += `*${table}\n${l.join('\n')}\nCOMMIT\n`;
  }
  if (input) await iptablesRestore(input);
}

function splitRule(rule: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rule))) out.push(m[1] ?? (m[2] as string));
  return out;
}

/** iptables -S prints the comment quoted or not, depending on its characters. */
export function ruleHasOwner(rule: string, owner: string): boolean {
  return new RegExp(`--comment "?tsc:${owner.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?(\\s|$)`).test(rule);
}

/** Deletes every rule of the owner from tsc's chains. */
export async function removeOwnerRules(owner: string): Promise<void> {
  const lines: Record<'filter' | 'nat', string[]> = { filter: [], nat: [] };
  for (const table of ['filter', 'nat'] as const) {
    for (const chain of CHAINS[table]) {
      const r = await iptables(['-t', table, '-S', chain]);
      if (r.code !== 0) continue;
      for (const rule of r.stdout.split('\n')) {
        if (rule.startsWith('-A ') && ruleHasOwner(rule, owner)) lines[table].push(`-D ${rule.slice(3)}`);
      }
    }
  }
  await applyLines(lines);
}

/** Whether an owner already has rules (so adding them again would duplicate them). */
export async function hasOwnerRules(owner: string, table: 'filter' | 'nat', chain: string): Promise<boolean> {
  const r = await iptables(['-t', table, '-S', chain]);
  return r.code === 0 && r.stdout.split('\n').some((l) => ruleHasOwner(l, owner));
}

/** Removes the jumps and the chains (when tsc's last network is gone). */
export async function removeChains(): Promise<void> {
  for (const j of JUMPS) {
    while ((await iptables(['-t', j.table, '-D', j.chain, ...splitRule(j.rule)])).code === 0) {
      // a jump added twice by a race is removed twice
    }
  }
  for (const table of ['filter', 'nat'] as const) {
    for (const chain of CHAINS[table]) {
      await iptables(['-t', table, '-F', chain]);
      await iptables(['-t', table, '-X', chain]);
    }
  }
}
