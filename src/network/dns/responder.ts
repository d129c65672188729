/**
 * The decision half of the embedded DNS server, pure: given a query packet and
 * who asked, answer from the project's names, or say it must be forwarded, or
 * drop it. Names in the project's scope (single labels and the project's own
 * domain) are always answered here, NXDOMAIN when unknown, so lookups of
 * service names never leave the machine or wait for a timeout; AAAA for a
 * known name answers at once with no records while IPv6 is off. A name the
 * table knows is answered here even when it has dots (an alias like
 * `db.internal`), as Docker's resolver does.
 */
import { QCLASS_ANY, QCLASS_IN, QTYPE, encodeBareError, encodePtrReply, encodeReply, ipv4Bytes, parseQuery, udpLimit } from './wire.js';
import type { ParsedQuery } from './wire.js';

export interface NameTable {
  /**
   * Addresses of `name` visible to the client at `clientIp` (only networks
   * both share); undefined when the name is unknown to the project.
   */
  lookup(name: string, clientIp: string): string[] | undefined;
  /** The name for a reverse lookup of `address`, if the client may see it; undefined: not ours (forwarded). */
  reverse?(address: string, clientIp: string): string | undefined;
  /** Whether `clientIp` is a container the table knows (the server treats strangers differently). */
  knows?(clientIp: string): boolean;
}

export interface ResponderOptions {
  /** Names under this domain are the project's (e.g. `myproj.internal`). */
  localDomains: string[];
  ttlSeconds: number;
}

export type Decision =
  | { kind: 'answer'; packet: Buffer }
  /** Not ours: the server sends it upstream (`query` is what was read of it). */
  | { kind: 'forward'; query: ParsedQuery }
  | { kind: 'drop' };

/**
 * Where the rotation of a name's addresses starts: a fixed offset, or asked
 * per name (called only when several addresses are about to be answered).
 */
export type Rotation = number | ((name: string) => number);

export function isLocalName(name: string, localDomains: string[]): boolean {
  const n = normalise(name);
  if (n === '') return false; // the root is the upstreams' business
  if (!n.includes('.')) return true;
  return localDomains.some((d) => n === normalise(d) || n.endsWith(`.${normalise(d)}`));
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; undefined for anything else. */
function reverseAddress(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa\.?$/i.exec(name);
  if (!m) return undefined;
  const address = [m[4], m[3], m[2], m[1]].join('.');
  return ipv4Bytes(address) ? address : undefined;
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** The table keys a name may be known under: as asked, then without a local domain (`db.myproj.internal` → `db`). */
function candidateKeys(name: string, localDomains: string[]): string[] {
  const n = normalise(name);
  const keys = [n];
  for (const raw of localDomains) {
    const d = normalise(raw);
    if (d !== '' && n.endsWith(`.${d}`)) keys.push(n.slice(0, -(d.length + 1)));
  }
  return keys;
}

/**
 * Decides what to do with `query` from `clientIp`. Over UDP (`transport`),
 * answers too large for the client are cut short with TC set.
 */
export function respond(
  query: Buffer,
  clientIp: string,
  table: NameTable,
  options: ResponderOptions,
  rotation: Rotation = 0,
  transport: 'udp' | 'tcp' = 'tcp',
): Decision {
  const parsed = parseQuery(query);
  if (!parsed.ok) {
    return parsed.reply === 'drop' ? { kind: 'drop' } : { kind: 'answer', packet: encodeBareError(parsed.id, parsed.flags, parsed.rcode) };
  }
  const q = parsed.query;
  const maxLength = transport === 'udp' ? udpLimit(q) : 65535;
  if (q.name === '') return { kind: 'forward', query: q };
  if (q.qtype === QTYPE.PTR && table.reverse) {
    const address = reverseAddress(q.name);
    const target = address === undefined ? undefined : table.reverse(address, clientIp);
    if (target !== undefined) {
      const domain = options.localDomains[0];
      const reply = encodePtrReply(query, q, domain ? `${target}.${normalise(domain)}` : target, options.ttlSeconds);
      if (reply) return { kind: 'answer', packet: reply };
    }
  }

  let key: string | undefined;
  let addresses: string[] | undefined;
  for (const candidate of candidateKeys(q.name, options.localDomains)) {
    addresses = table.lookup(candidate, clientIp);
    if (addresses !== undefined) {
      key = candidate;
      break;
    }
  }
  if (addresses === undefined || key === undefined) {
    if (!isLocalName(q.name, options.localDomains)) return { kind: 'forward', query: q };
    // No SOA in the reply: clients must not cache the miss, the container may appear a moment later.
    return { kind: 'answer', packet: encodeReply(query, q, 'NXDOMAIN', [], 0, maxLength) };
  }
  if (q.qclass !== QCLASS_IN && q.qclass !== QCLASS_ANY) return { kind: 'answer', packet: encodeReply(query, q, 'REFUSED', [], 0, maxLength) };
  if (q.qtype !== QTYPE.A && q.qtype !== QTYPE.ANY) return { kind: 'answer', packet: encodeReply(query, q, 'NOERROR', [], 0, maxLength) };

  const ipv4s = addresses.map(ipv4Bytes).filter((b): b is Buffer => b !== undefined);
  // Replicas answer together, in rotating order, so clients spread over them.
  const n = ipv4s.length;
  const start = n > 1 ? (typeof rotation === 'number' ? rotation : rotation(key)) : 0;
  const rotated = n === 0 ? [] : ipv4s.map((_, i) => ipv4s[(((i + start) % n) + n) % n] as Buffer);
  return { kind: 'answer', packet: encodeReply(query, q, 'NOERROR', rotated, options.ttlSeconds, maxLength) };
}
