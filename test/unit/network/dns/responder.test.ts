import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as packet from 'dns-packet';
import { respond, isLocalName } from '../../../../src/network/dns/responder.js';
import type { NameTable } from '../../../../src/network/dns/responder.js';

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

it('rotation per name: the function is asked only when several addresses answer, with the key the table knew', () => {
  const asked: string[] = [];
  const rot = (name: string): number => {
    asked.push(name);
    return 2;
  };
  const a = decodeAnswer(respond(q('WEB.proj.internal.'), '10.1.0.7', table, opts, rot));
  assert.deepEqual(a.answers?.map((x) => (x as { data: string }).data), ['10.1.0.4', '10.1.0.2', '10.1.0.3']);
  decodeAnswer(respond(q('db'), '10.1.0.7', table, opts, rot));
  decodeAnswer(respond(q('web', 'AAAA'), '10.1.0.7', table, opts, rot));
  assert.deepEqual(asked, ['web']);
});

it('names the table knows are answered even with dots; unknown dotted names are forwarded', () => {
  const dotted: NameTable = { lookup: (name) => (name === 'db.internal' ? ['10.1.0.9'] : undefined) };
  const a = decodeAnswer(respond(q('DB.internal'), '10.1.0.7', dotted, opts));
  assert.deepEqual(a.answers?.map((x) => (x as { data: string }).data), ['10.1.0.9']);
  assert.equal(a.questions?.[0]?.name, 'DB.internal'); // echoed as asked (0x20 case randomisation)
  assert.equal(respond(q('cache.internal'), '10.1.0.7', dotted, opts).kind, 'forward');
  assert.equal(respond(q('.', 'NS'), '10.1.0.7', dotted, opts).kind, 'forward');
});

it('non-queries and bad questions: responses dropped, other opcodes NOTIMP, compression in the question FORMERR', () => {
  const response = Buffer.from(q('web'));
  response.writeUInt16BE(0x8000, 2);
  assert.equal(respond(response, '10.1.0.7', table, opts).kind, 'drop');
  const update = Buffer.from(q('web'));
  update.writeUInt16BE(5 << 11, 2);
  const u = decodeAnswer(respond(update, '10.1.0.7', table, opts));
  assert.equal(u.rcode, 'NOTIMP');
  assert.equal((u as { opcode?: string }).opcode, 'UPDATE');
  const loop = Buffer.from(q('web'));
  loop[12] = 0xc0;
  loop[13] = 12;
  assert.equal(decodeAnswer(respond(loop, '10.1.0.7', table, opts)).rcode, 'FORMERR');
  assert.equal(respond(Buffer.alloc(11), '10.1.0.7', table, opts).kind, 'drop');
});

it('over UDP an answer larger than the client takes is cut with TC; an OPT record is answered with one', () => {
  const many: NameTable = { lookup: () => Array.from({ length: 100 }, (_, i) => `10.0.${i >> 8}.${i & 255}`) };
  const udp = respond(q('svc'), '10.1.0.7', many, opts, 0, 'udp') as { kind: 'answer'; packet: Buffer };
  assert.ok(udp.packet.length <= 512);
  const d = packet.decode(udp.packet) as packet.DecodedPacket & { flag_tc?: boolean };
  assert.equal(d.flag_tc, true);
  assert.equal(d.answers?.length, Math.floor((512 - 12 - 8) / 16));
  const withOpt = packet.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'svc', class: 'IN' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as packet.Answer] });
  const e = packet.decode((respond(withOpt, '10.1.0.7', many, opts, 0, 'udp') as { packet: Buffer }).packet) as packet.DecodedPacket & { flag_tc?: boolean };
  assert.equal(e.additionals?.[0]?.type, 'OPT');
  assert.equal(e.answers?.length, Math.floor((1232 - 12 - 8 - 11) / 16));
  const tcp = packet.decode((respond(q('svc'), '10.1.0.7', many, opts, 0, 'tcp') as { packet: Buffer }).packet);
  assert.equal(tcp.answers?.length, 100);
});
