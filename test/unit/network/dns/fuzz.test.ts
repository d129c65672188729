import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as packet from 'dns-packet';
import { DnsRecords } from '../../../../src/network/dns/records.js';
import { DnsServer } from '../../../../src/network/dns/server.js';
import { respond } from '../../../../src/network/dns/responder.js';

// Malformed input of every kind must never crash or stall the server. The
// upstream is a loopback echo (it returns the query with QR set), so forwarded
// garbage goes the whole way too; nothing leaves the machine.
const SERVER = '127.0.0.80';
const CLIENT = '127.0.0.81';
const UPSTREAM = '127.0.0.82';
const SEED = Number(process.env['DNS_FUZZ_SEED'] ?? 20261122);

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // xorshift32: reproducible from the seed printed on failure
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const rand = prng(SEED);
const int = (n: number): number => Math.floor(rand() * n);

const SEEDS: Buffer[] = [
  ['web', 'A'],
  ['db', 'AAAA'],
  ['nope', 'A'],
  ['web.proj.internal', 'A'],
  ['www.example.org', 'A'],
  ['example.org', 'MX'],
  ['', 'NS'],
].map(([name, type]) => packet.encode({ type: 'query', id: int(65536), flags: packet.RECURSION_DESIRED, questions: [{ type: type as packet.RecordType, name: name as string, class: 'IN' }] }));
SEEDS.push(packet.encode({ type: 'query', id: 1, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: 'web', class: 'IN' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as packet.Answer] }));

/** One hostile packet: a mutated valid query or plain garbage. */
function hostile(): Buffer {
  const base = Buffer.from(SEEDS[int(SEEDS.length)] as Buffer);
  switch (int(10)) {
    case 0: // huge counts
      base.writeUInt16BE(int(65536), 4 + 2 * int(4));
      return base;
    case 1: // compression pointer loop at the question name (points at itself)
      base[12] = 0xc0;
      base[13] = 12;
      return base;
    case 2: // a pointer anywhere
      base[12 + int(base.length - 12)] = 0xc0 | int(64);
      return base;
    case 3: // truncated
      return base.subarray(0, int(base.length));
    case 4: // flipped bytes
      for (let i = 0, n = 1 + int(6); i < n; i++) base[int(base.length)] = int(256);
      return base;
    case 5: // a label longer than the packet / name longer than 255
      if (int(2) === 0) {
        base[12] = 63;
        return base;
      }
      return Buffer.concat([base.subarray(0, 12), Buffer.alloc(300, 1), base.subarray(12)]);
    case 6: // response bit, odd opcodes
      base.writeUInt16BE(int(65536), 2);
      return base;
    case 7: // trailing junk
      return Buffer.concat([base, Buffer.from(Array.from({ length: int(200) }, () => int(256)))]);
    case 8: // oversized
      return Buffer.alloc(4097 + int(3000), int(256));
    default: // garbage
      return Buffer.from(Array.from({ length: int(600) }, () => int(256)));
  }
}

let records: DnsRecords;
let server: DnsServer;
let port: number;
let upstreamUdp: dgram.Socket;
let upstreamTcp: net.Server;
const upstreamSockets = new Set<net.Socket>();

before(async () => {
  const echo = (m: Buffer): Buffer => {
    const r = Buffer.from(m);
    if (r.length >= 4) r.writeUInt16BE(r.readUInt16BE(2) | 0x8000, 2);
    return r;
  };
  upstreamUdp = dgram.createSocket('udp4');
  await new Promise<void>((r) => upstreamUdp.bind(0, UPSTREAM, () => r()));
  const upPort = upstreamUdp.address().port;
  upstreamUdp.on('message', (m, rinfo) => upstreamUdp.send(echo(m), rinfo.port, rinfo.address));
  upstreamTcp = net.createServer((s) => {
    upstreamSockets.add(s);
    s.on('close', () => upstreamSockets.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const m = echo(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + m.length);
        s.write(Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]));
      }
    });
  });
  await new Promise<void>((r) => upstreamTcp.listen(upPort, UPSTREAM, () => r()));

  records = new DnsRecords();
  records.set({ containerId: 'client', networks: [{ network: 'n', address: CLIENT, names: ['client'] }] });
  records.set({ containerId: 'web', networks: [{ network: 'n', address: '10.0.0.2', names: ['web'] }] });
  records.set({ containerId: 'db', networks: [{ network: 'n', address: '10.0.0.3', names: ['db'] }] });
  server = new DnsServer({ table: records, localDomains: ['proj.internal'], upstreams: [`${UPSTREAM}:${upPort}`], timeoutMs: 300, tcpIdleMs: 1000 });
  ({ port } = await server.listen(SERVER, 0));
});

after(async () => {
  await server.close();
  for (const s of upstreamSockets) s.destroy();
  await new Promise<void>((r) => upstreamUdp.close(() => r()));
  await new Promise<void>((r) => upstreamTcp.close(() => r()));
});

async function stillAnswers(): Promise<void> {
  const q = packet.encode({ type: 'query', id: 4711, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: 'web', class: 'IN' }] });
  const started = Date.now();
  const viaUdp = await new Promise<Buffer>((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no UDP answer after fuzzing (seed ${SEED})`));
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.bind(0, CLIENT, () => s.send(q, port, SERVER));
  });
  const viaTcp = await new Promise<Buffer>((resolve, reject) => {
    const s = net.connect({ host: SERVER, port, localAddress: CLIENT });
    const timer = setTimeout(() => reject(new Error(`no TCP answer after fuzzing (seed ${SEED})`)), 2000);
    let buf = Buffer.alloc(0);
    s.on('connect', () => s.write(Buffer.concat([Buffer.from([0, q.length]), q])));
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(timer);
        s.destroy();
        resolve(buf.subarray(2));
      }
    });
    s.on('error', reject);
  });
  for (const m of [viaUdp, viaTcp]) {
    const d = packet.decode(m) as packet.DecodedPacket & { rcode?: string };
    assert.equal(d.id, 4711);
    assert.deepEqual(d.answers?.map((a) => (a as { data: string }).data), ['10.0.0.2']);
  }
  assert.ok(Date.now() - started < 1000);
}

it(`responder: 50000 hostile packets, every reply well formed and matching the query id (seed ${SEED})`, () => {
  const opts = { localDomains: ['proj.internal'], ttlSeconds: 1 };
  let answered = 0;
  for (let i = 0; i < 50_000; i++) {
    const input = hostile();
    const started = process.hrtime.bigint();
    const d = respond(input, CLIENT, records, opts, i, i % 2 ? 'udp' : 'tcp');
    assert.ok(process.hrtime.bigint() - started < 50_000_000n, 'one packet took over 50 ms');
    if (d.kind !== 'answer') continue;
    answered++;
    assert.equal(d.packet.readUInt16BE(0), input.readUInt16BE(0));
    assert.ok((d.packet.readUInt16BE(2) & 0x8000) !== 0);
    assert.ok(i % 2 === 0 || d.packet.length <= 512);
    assert.doesNotThrow(() => packet.decode(d.packet), `reply to ${input.toString('hex')}`);
  }
  assert.ok(answered > 10_000, `answered ${answered}`);
});

it(`server over UDP: 5000 hostile packets, then it still answers (seed ${SEED})`, async () => {
  const s = dgram.createSocket('udp4');
  let replies = 0;
  s.on('message', (m) => {
    replies++;
    assert.ok(m.length >= 12 && (m.readUInt16BE(2) & 0x8000) !== 0);
  });
  await new Promise<void>((r) => s.bind(0, CLIENT, () => r()));
  for (let i = 0; i < 5000; i++) {
    s.send(hostile(), port, SERVER);
    if (i % 100 === 99) await sleep(5);
  }
  await sleep(500);
  s.close();
  assert.ok(replies > 1000, `replies ${replies}`);
  await stillAnswers();
});

it(`server over TCP: hostile frames, lying lengths, abrupt closes, on 40 connections at once, then it still answers (seed ${SEED})`, async () => {
  const connection = (n: number): Promise<void> =>
    new Promise((resolve) => {
      const s = net.connect({ host: SERVER, port, localAddress: CLIENT });
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      s.on('close', () => resolve());
      s.on('connect', async () => {
        for (let i = 0; i < 60 && !s.destroyed; i++) {
          const m = hostile().subarray(0, 65535);
          const kind = int(8);
          if (kind === 0) s.write(Buffer.from(Array.from({ length: 1 + int(40) }, () => int(256)))); // raw garbage, lengths made up
          else if (kind === 1) s.write(Buffer.from([0, 0])); // an empty message
          else {
            const framed = Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);
            // Sometimes split mid-frame.
            const cut = kind === 2 ? int(framed.length) : framed.length;
            s.write(framed.subarray(0, cut));
            if (cut < framed.length) await sleep(1);
            s.write(framed.subarray(cut));
          }
          if (i % 10 === 9) await new Promise((r) => setImmediate(r));
        }
        // Leave half of them hanging mid-frame, close the others abruptly.
        if (n % 2) s.write(Buffer.from([0xff, 0xff, 1, 2, 3]));
        else s.destroy();
        setTimeout(() => s.destroy(), 1500);
      });
    });
  await Promise.all(Array.from({ length: 40 }, (_, n) => connection(n)));
  await stillAnswers();
});

it('server over TCP: more connections than allowed, then the extra are closed and it still answers', async () => {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < 300; i++) {
    const s = net.connect({ host: SERVER, port, localAddress: CLIENT });
    s.on('error', () => undefined);
    sockets.push(s);
  }
  await sleep(300);
  const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
  for (const s of sockets) s.destroy();
  assert.ok(open <= 260, `open ${open}`);
  await sleep(100);
  await stillAnswers();
});

it('server over TCP: a client that asks and never reads is cut off; the server still answers', async () => {
  const big = { lookup: () => Array.from({ length: 60 }, (_, i) => `10.0.2.${i + 1}`), knows: () => true };
  const s = new DnsServer({ table: big, localDomains: [], upstreams: [] });
  const { port: p } = await s.listen('127.0.0.83', 0);
  try {
    const q = packet.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'big', class: 'IN' }] });
    const frames = Buffer.concat(Array.from({ length: 2000 }, () => Buffer.concat([Buffer.from([0, q.length]), q])));
    const started = Date.now();
    const cut = await new Promise<boolean>((resolve) => {
      const c = net.connect({ host: '127.0.0.83', port: p, localAddress: CLIENT });
      c.pause(); // never read
      c.on('error', () => resolve(true));
      c.on('close', () => resolve(true));
      c.on('connect', async () => {
        for (let i = 0; i < 30 && !c.destroyed; i++) {
          c.write(frames);
          await sleep(20);
        }
        setTimeout(() => {
          c.destroy();
          resolve(false);
        }, 3000);
      });
    });
    assert.equal(cut, true, 'the server kept buffering for a client that does not read');
    assert.ok(Date.now() - started < 5000);
    const reply = await s.answer(q, CLIENT, true);
    assert.equal(packet.decode(reply as Buffer).answers?.length, 60);
  } finally {
    await s.close();
  }
});
