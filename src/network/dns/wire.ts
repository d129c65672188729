/**
 * The few pieces of the DNS wire format the embedded server needs, read and
 * written by hand: the header and the one question of a query, and replies
 * built from them. A query's question never needs name compression, so a
 * compression pointer there is refused outright; that makes loops, overlong
 * names and lying counts impossible to act on, whatever a client sends.
 */

export const HEADER_LENGTH = 12;
/** Largest reply over UDP to a client that did not say otherwise (RFC 1035). */
export const CLASSIC_UDP_LIMIT = 512;
/** What we advertise and the most we send over UDP, whatever the client advertises (DNS flag day 2020). */
export const EDNS_UDP_LIMIT = 1232;

const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = keyof typeof RCODE;

export const QTYPE = { A: 1, PTR: 12, AAAA: 28, OPT: 41, ANY: 255 } as const;
export const QCLASS_IN = 1;
export const QCLASS_ANY = 255;

export interface ParsedQuery {
  id: number;
  /** The raw flags word of the query. */
  flags: number;
  /** The name as asked (original case, no trailing dot, '' for the root); odd bytes in labels are escaped so they match nothing. */
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just after the question: header and question are bytes [0, questionEnd). */
  questionEnd: number;
  /** The UDP payload size the client advertised in an OPT record; undefined when it sent none. */
  ednsUdpSize: number | undefined;
}

export type ParseResult =
  | { ok: true; query: ParsedQuery }
  /** Not answerable: too short to carry an id, or a response (answering responses invites loops). */
  | { ok: false; reply: 'drop' }
  /** Answerable only with an error that carries no question. */
  | { ok: false; reply: 'error'; rcode: Rcode; id: number; flags: number };

/** Reads the header and the single question of a query; never throws. */
export function parseQuery(buf: Buffer): ParseResult {
  if (buf.length < HEADER_LENGTH) return { ok: false, reply: 'drop' };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if ((flags & QR) !== 0) return { ok: false, reply: 'drop' };
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return { ok: false, reply: 'error', rcode: 'NOTIMP', id, flags };
  const qdcount = buf.readUInt16BE(4);
  if (qdcount !== 1) return { ok: false, reply: 'error', rcode: 'FORMERR', id, flags };

  const labels: string[] = [];
  let offset = HEADER_LENGTH;
  let wireLength = 0;
  for (;;) {
    if (offset >= buf.length) return { ok: false, reply: 'error', rcode: 'FORMERR', id, flags };
    const len = buf[offset] as number;
    offset += 1;
    if (len === 0) break;
    // 0xc0 is a compression pointer, 0x40/0x80 the obsolete extended labels: none belongs in a query's question.
    if ((len & 0xc0) !== 0) return { ok: false, reply: 'error', rcode: 'FORMERR', id, flags };
    wireLength += len + 1;
    if (wireLength > 254 || offset + len > buf.length) return { ok: false, reply: 'error', rcode: 'FORMERR', id, flags };
    labels.push(labelText(buf, offset, len));
    offset += len;
  }
  if (offset + 4 > buf.length) return { ok: false, reply: 'error', rcode: 'FORMERR', id, flags };
  const qtype = buf.readUInt16BE(offset);
  const qclass = buf.readUInt16BE(offset + 2);
  const questionEnd = offset + 4;
  return { ok: true, query: { id, flags, name: labels.join('.'), qtype, qclass, questionEnd, ednsUdpSize: readEdnsSize(buf, questionEnd) } };
}

/** Label bytes as text; a byte that is not a plain printable character (or is a dot) is escaped, so such a name matches no table entry. */
function labelText(buf: Buffer, start: number, len: number): string {
  let out = '';
  for (let i = start; i < start + len; i++) {
    const b = buf[i] as number;
    out += b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c ? String.fromCharCode(b) : `\\${b.toString().padStart(3, '0')}`;
  }
  return out;
}

/** The OPT record of a plain query sits right after the question: root name, type 41, class = UDP size. */
function readEdnsSize(buf: Buffer, questionEnd: number): number | undefined {
  if (buf.readUInt16BE(6) !== 0 || buf.readUInt16BE(8) !== 0 || buf.readUInt16BE(10) === 0) return undefined;
  if (questionEnd + 11 > buf.length || buf[questionEnd] !== 0 || buf.readUInt16BE(questionEnd + 1) !== QTYPE.OPT) return undefined;
  return buf.readUInt16BE(questionEnd + 3);
}

/** How large a UDP reply to this query may be. */
export function udpLimit(query: ParsedQuery): number {
  if (query.ednsUdpSize === undefined) return CLASSIC_UDP_LIMIT;
  return Math.min(Math.max(query.ednsUdpSize, CLASSIC_UDP_LIMIT), EDNS_UDP_LIMIT);
}

function replyFlags(queryFlags: number, rcode: Rcode, authoritative: boolean): number {
  return QR | (authoritative ? AA : 0) | (queryFlags & RD) | RA | RCODE[rcode];
}

const OPT_RECORD = Buffer.from([0, 0, QTYPE.OPT, EDNS_UDP_LIMIT >> 8, EDNS_UDP_LIMIT & 0xff, 0, 0, 0, 0, 0, 0]);
const A_RECORD_LENGTH = 16;

/**
 * A reply to `query` (the raw bytes `raw`) with the question echoed exactly
 * as asked (resolvers that randomise the case of names check it) and A
 * records pointing back at it. Answers that do not fit `maxLength` are left
 * off and TC is set, so the client asks again over TCP.
 */
export function encodeReply(raw: Buffer, query: ParsedQuery, rcode: Rcode, ipv4s: Buffer[], ttlSeconds: number, maxLength = 65535): Buffer {
  const edns = query.ednsUdpSize !== undefined;
  const fixed = query.questionEnd + (edns ? OPT_RECORD.length : 0);
  const fit = Math.max(0, Math.min(ipv4s.length, Math.floor((maxLength - fixed) / A_RECORD_LENGTH)));
  const out = Buffer.alloc(fixed + fit * A_RECORD_LENGTH);
  raw.copy(out, 0, 0, query.questionEnd);
  out.writeUInt16BE(replyFlags(query.flags, rcode, true) | (fit < ipv4s.length ? TC : 0), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(fit, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(edns ? 1 : 0, 10);
  let o = query.questionEnd;
  for (let i = 0; i < fit; i++) {
    out.writeUInt16BE(0xc000 | HEADER_LENGTH, o); // the name: a pointer to the question's
    out.writeUInt16BE(QTYPE.A, o + 2);
    out.writeUInt16BE(QCLASS_IN, o + 4);
    out.writeUInt32BE(ttlSeconds >>> 0, o + 6);
    out.writeUInt16BE(4, o + 10);
    (ipv4s[i] as Buffer).copy(out, o + 12);
    o += A_RECORD_LENGTH;
  }
  if (edns) OPT_RECORD.copy(out, o);
  return out;
}

/** A reply with one PTR record naming `target`; undefined when `target` is not a name DNS can carry. */
export function encodePtrReply(raw: Buffer, query: ParsedQuery, target: string, ttlSeconds: number): Buffer | undefined {
  const labels = target.replace(/\.$/, '').split('.');
  if (labels.some((l) => l.length === 0 || l.length > 63 || !/^[\x21-\x7e]+$/.test(l))) return undefined;
  const rdata = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
  if (rdata.length > 255) return undefined;
  const base = encodeReply(raw, query, 'NOERROR', [], ttlSeconds);
  const record = Buffer.alloc(12 + rdata.length);
  record.writeUInt16BE(0xc000 | HEADER_LENGTH, 0);
  record.writeUInt16BE(QTYPE.PTR, 2);
  record.writeUInt16BE(QCLASS_IN, 4);
  record.writeUInt32BE(ttlSeconds >>> 0, 6);
  record.writeUInt16BE(rdata.length, 10);
  rdata.copy(record, 12);
  // At most ~330 bytes (an in-addr.arpa question, one record, OPT): within any UDP limit.
  const out = Buffer.concat([base.subarray(0, query.questionEnd), record, base.subarray(query.questionEnd)]);
  out.writeUInt16BE(1, 6);
  return out;
}

/** An error reply that carries no question (the query had none we could read). */
export function encodeBareError(id: number, queryFlags: number, rcode: Rcode): Buffer {
  const out = Buffer.alloc(HEADER_LENGTH);
  out.writeUInt16BE(id, 0);
  // The opcode is echoed so the client can match the reply to what it sent.
  out.writeUInt16BE(replyFlags(queryFlags, rcode, false) | (queryFlags & 0x7800), 2);
  return out;
}

/** SERVFAIL (or another error) for a query whose question we read. */
export function encodeError(raw: Buffer, query: ParsedQuery, rcode: Rcode): Buffer {
  const out = encodeReply(raw, query, rcode, [], 0);
  // Not authoritative: the failure is about somebody else's name.
  out.writeUInt16BE(replyFlags(query.flags, rcode, false), 2);
  return out;
}

export function isTruncated(reply: Buffer): boolean {
  return reply.length >= HEADER_LENGTH && (reply.readUInt16BE(2) & TC) !== 0;
}

/**
 * Whether `reply` answers `query` (raw bytes `raw`): a response, the same id,
 * and the same question (names compared without regard to ASCII case).
 */
export function isReplyTo(reply: Buffer, raw: Buffer, query: ParsedQuery): boolean {
  if (reply.length < query.questionEnd) return false;
  if (reply.readUInt16BE(0) !== query.id || (reply.readUInt16BE(2) & QR) === 0) return false;
  if (reply.readUInt16BE(4) !== 1) return false;
  for (let i = HEADER_LENGTH; i < query.questionEnd; i++) {
    const a = reply[i] as number;
    const b = raw[i] as number;
    if (a !== b && lowerAscii(a) !== lowerAscii(b)) return false;
  }
  return true;
}

function lowerAscii(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** Four bytes of a dotted-quad address; undefined for anything else. */
export function ipv4Bytes(address: string): Buffer | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}
