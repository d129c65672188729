/**
 * The decision half of the embedded DNS server, pure: given a query packet and
 * who asked, answer from the project's names, or say it must be forwarded, or
 * drop it. Names in the project's scope (single labels and the project's own
 * domain) are always answered here, NXDOMAIN when unknown, so lookups of
 * service names never leave the machine or wait for a timeout; AAAA for a
 * known name answers at once with no records while IPv6 is off.
 */
import * as packet from 'dns-packet';

export interface NameTable {
  /**
   * Addresses of `name` visible to the client at `clientIp` (only networks
   * both share); undefined when the name is unknown to the project.
   */
  lookup(name: string, clientIp: string): string[] | undefined;
}

export interface ResponderOptions {
  /** Names under this domain are the project's (e.g. `myproj.internal`). */
  localDomains: string[];
  ttlSeconds: number;
}

export type Decision = { kind: 'answer'; packet: Buffer } | { kind: 'forward' } | { kind: 'drop' };

const MAX_QUESTIONS = 1;

export function isLocalName(name: string, localDomains: string[]): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (!n.includes('.')) return true;
  return localDomains.some((d) => n === d || n.endsWith(`.${d}`));
}

/** Strips a local domain suffix: `db.myproj.internal` → `db`. */
function shortName(name: string, localDomains: string[]): string {
  const n = name.toLowerCase().replace(/\.$/, '');
  for (const d of localDomains) if (n.endsWith(`.${d}`)) return n.slice(0, -(d.length + 1));
  return n;
}

export function respond(query: Buffer, clientIp: string, table: NameTable, options: ResponderOptions, rotation = 0): Decision {
  let decoded: packet.Packet;
  try {
    decoded = packet.decode(query);
  } catch {
    return { kind: 'drop' };
  }
  if (decoded.type !== 'query' || !decoded.questions || decoded.questions.length !== MAX_QUESTIONS) {
    return decoded.type === 'query' && typeof decoded.id === 'number' ? { kind: 'answer', packet: reply(decoded, 'FORMERR', []) } : { kind: 'drop' };
  }
  const question = decoded.questions[0] as packet.Question;
  if (typeof question.name !== 'string' || question.name.length > 253) return { kind: 'answer', packet: reply(decoded, 'FORMERR', []) };
  if (!isLocalName(question.name, options.localDomains)) return { kind: 'forward' };

  const addresses = table.lookup(shortName(question.name, options.localDomains), clientIp);
  if (addresses === undefined) return { kind: 'answer', packet: reply(decoded, 'NXDOMAIN', []) };
  if (question.type !== 'A' && (question.type as string) !== 'ANY') return { kind: 'answer', packet: reply(decoded, 'NOERROR', []) };
  // Replicas answer together, in rotating order, so clients spread over them.
  const n = addresses.length;
  const rotated = n === 0 ? [] : addresses.map((_, i) => addresses[(i + rotation) % n] as string);
  const answers: packet.Answer[] = rotated.map((ip) => ({ type: 'A', class: 'IN', name: question.name, ttl: options.ttlSeconds, data: ip }));
  return { kind: 'answer', packet: reply(decoded, 'NOERROR', answers) };
}

function reply(query: packet.Packet, rcode: 'NOERROR' | 'NXDOMAIN' | 'FORMERR', answers: packet.Answer[]): Buffer {
  const RCODES = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3 } as const;
  const rd = ((query.flags ?? 0) & packet.RECURSION_DESIRED) !== 0;
  const flags = packet.AUTHORITATIVE_ANSWER | packet.RECURSION_AVAILABLE | (rd ? packet.RECURSION_DESIRED : 0) | RCODES[rcode];
  return packet.encode({
    type: 'response',
    id: query.id ?? 0,
    flags,
    questions: query.questions ?? [],
    answers,
  });
}
