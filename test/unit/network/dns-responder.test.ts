import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as packet from 'dns-packet';
import { respond, isLocalName } from '../../../src/network/dns/responder.js';
import type { NameTable } from '../../../src/network/dns/responder.js';

const table: NameTable = {
  lookup(name, client) {
    if (name === 'web') return client.startsWith('10.1.') ? ['10.1.0.2', '10.1.0.3', '10.1.0.4'] : [];
    if (name === 'db') return client.startsWith('10.1.') ? ['10.1.0.9'] : undefined;
    return undefined;
  },
};
const opts = { localDomains: ['proj.internal'], ttlSeconds: 1 };
const q = (name: string, type: packet.RecordType = 'A'): Buffer =>
  packet.encode({ type: 'query', id: 42, flags: packet.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });
const decodeAnswer = (d: ReturnType<typeof respond>): packet.DecodedPacket & { rcode?: string } => {
  assert.equal(d.kind, 'answer');
  return packet.decode((d as { packet: Buffer }).packet);
};

it('answers service names with every replica, rotating', () => {
  const a = decodeAnswer(respond(q('web'), '10.1.0.7', table, opts, 0));
  assert.equal(a.id, 42);
  assert.equal(a.rcode, 'NOERROR');
  assert.deepEqual(a.answers?.map((x) => (x as { data: string }).data), ['10.1.0.2', '10.1.0.3', '10.1.0.4']);
  const b = decodeAnswer(respond(q('web.proj.internal'), '10.1.0.7', table, opts, 1));
  assert.deepEqual(b.answers?.map((x) => (x as { data: string }).data), ['10.1.0.3', '10.1.0.4', '10.1.0.2']);
});

it('unknown local names get NXDOMAIN at once; AAAA of a known name gets NODATA', () => {
  assert.equal(decodeAnswer(respond(q('nope'), '10.1.0.7', table, opts)).rcode, 'NXDOMAIN');
  const aaaa = decodeAnswer(respond(q('web', 'AAAA'), '10.1.0.7', table, opts));
  assert.equal(aaaa.rcode, 'NOERROR');
  assert.equal(aaaa.answers?.length, 0);
});

it('a container on another network cannot resolve the name', () => {
  assert.equal(decodeAnswer(respond(q('db'), '10.2.0.5', table, opts)).rcode, 'NXDOMAIN');
});

it('other names are forwarded; garbage is dropped, never thrown', () => {
  assert.equal(respond(q('example.org'), '10.1.0.7', table, opts).kind, 'forward');
  assert.equal(isLocalName('db.proj.internal.', ['proj.internal']), true);
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 5000; i++) {
    const base = q(['web', 'db', 'x.example.org'][i % 3] as string);
    const buf = Buffer.from(base);
    const mode = i % 4;
    if (mode === 0) buf.writeUInt16BE(Math.floor(rand() * 65536), 4); // huge question count
    if (mode === 1) buf[12 + Math.floor(rand() * (buf.length - 12))] = 0xc0 | Math.floor(rand() * 64); // compression pointers (loops)
    const input = mode === 2 ? buf.subarray(0, Math.floor(rand() * buf.length)) : mode === 3 ? Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256))) : buf;
    const d = respond(input, '10.1.0.7', table, opts);
    assert.ok(['answer', 'forward', 'drop'].includes(d.kind));
  }
});
