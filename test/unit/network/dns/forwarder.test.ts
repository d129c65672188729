import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as packet from 'dns-packet';
import { DnsRecords } from '../../../../src/network/dns/records.js';
import { DnsServer } from '../../../../src/network/dns/server.js';
import { parseUpstream } from '../../../../src/network/dns/forwarder.js';

// Every upstream here is a fake resolver this test runs on loopback; nothing goes to the host's real one.
const CLIENT = '127.0.0.61';

type Reply = packet.DecodedPacket & { rcode?: string; flag_tc?: boolean };
type Behaviour = 'answer' | 'silent' | 'truncate' | 'truncate-big' | 'wrong-id' | 'wrong-question';

/** A resolver that answers every A query with 192.0.2.<n>, and logs what reached it and how. */
class FakeUpstream {
  readonly seen: Array<{ transport: 'udp' | 'tcp'; name: string; id: number }> = [];
  behaviour: Behaviour = 'answer';
  port = 0;
  private udp = dgram.createSocket('udp4');
  private tcp = net.createServer((s) => this.serveTcp(s));
  private sockets = new Set<net.Socket>();

  constructor(readonly address: string) {}

  async start(): Promise<this> {
    await new Promise<void>((r) => this.udp.bind(0, this.address, () => r()));
    this.port = this.udp.address().port;
    await new Promise<void>((r) => this.tcp.listen(this.port, this.address, () => r()));
    this.udp.on('message', (msg, rinfo) => {
      const reply = this.reply(msg, 'udp');
      if (reply) for (const r of reply) this.udp.send(r, rinfo.port, rinfo.address);
    });
    return this;
  }

  get spec(): string {
    return `${this.address}:${this.port}`;
  }

  private reply(msg: Buffer, transport: 'udp' | 'tcp'): Buffer[] | undefined {
    const q = packet.decode(msg);
    const name = q.questions?.[0]?.name ?? '';
    this.seen.push({ transport, name, id: q.id ?? 0 });
    if (this.behaviour === 'silent') return undefined;
    const count = this.behaviour === 'truncate-big' ? 60 : 2;
    const answers: packet.Answer[] = Array.from({ length: count }, (_, i) => ({ type: 'A', name, ttl: 60, data: `192.0.2.${i + 1}` }));
    const base = { type: 'response' as const, id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: q.questions };
    if (this.behaviour === 'wrong-id') return [packet.encode({ ...base, id: ((q.id ?? 0) + 1) & 0xffff, answers })];
    if (this.behaviour === 'wrong-question') return [packet.encode({ ...base, questions: [{ type: 'A', name: 'evil.example', class: 'IN' }], answers })];
    if (transport === 'udp' && this.behaviour.startsWith('truncate')) return [packet.encode({ ...base, flags: base.flags | packet.TRUNCATED_RESPONSE, answers: [] })];
    return [packet.encode({ ...base, answers })];
  }

  private serveTcp(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        for (const r of this.reply(msg, 'tcp') ?? []) s.write(Buffer.concat([Buffer.from([r.length >> 8, r.length & 0xff]), r]));
      }
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([new Promise<void>((r) => this.udp.close(() => r())), new Promise<void>((r) => this.tcp.close(() => r()))]);
  }
}

let up1: FakeUpstream;
let up2: FakeUpstream;
let records: DnsRecords;
const servers: DnsServer[] = [];

before(async () => {
  up1 = await new FakeUpstream('127.0.0.62').start();
  up2 = await new FakeUpstream('127.0.0.63').start();
  records = new DnsRecords();
  records.set({ containerId: 'c', networks: [{ network: 'n', address: CLIENT, names: ['client', 'web'] }] });
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await up1.stop();
  await up2.stop();
});

async function start(upstreams: string[], opts: { timeoutMs?: number; maxForwardsInFlight?: number } = {}): Promise<{ server: DnsServer; port: number; address: string }> {
  const server = new DnsServer({ table: records, localDomains: ['proj.internal'], upstreams, timeoutMs: opts.timeoutMs ?? 300, ...(opts.maxForwardsInFlight ? { maxForwardsInFlight: opts.maxForwardsInFlight } : {}) });
  servers.push(server);
  const address = `127.0.0.${64 + servers.length}`;
  const { port } = await server.listen(address, 0);
  return { server, port, address };
}

function reset(): void {
  up1.seen.length = 0;
  up2.seen.length = 0;
  up1.behaviour = 'answer';
  up2.behaviour = 'answer';
}

const query = (name: string, id = 777): Buffer => packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] });

function viaUdp(target: { port: number; address: string }, msg: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no reply'));
    }, 5000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(packet.decode(m));
    });
    s.bind(0, CLIENT, () => s.send(msg, target.port, target.address));
  });
}

function viaTcp(target: { port: number; address: string }, msg: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: target.address, port: target.port, localAddress: CLIENT });
    let buf = Buffer.alloc(0);
    s.on('connect', () => s.write(Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 0xff]), msg])));
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.destroy();
        resolve(packet.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
    s.on('error', reject);
  });
}

const addrs = (r: Reply): string[] => (r.answers ?? []).map((a) => (a as { data: string }).data);

it('other names are forwarded as asked over UDP; the upstream reply comes back', async () => {
  reset();
  const t = await start([up1.spec]);
  const r = await viaUdp(t, query('Example.ORG', 31337));
  assert.equal(r.id, 31337);
  assert.equal(r.rcode, 'NOERROR');
  assert.deepEqual(addrs(r), ['192.0.2.1', '192.0.2.2']);
  assert.deepEqual(up1.seen, [{ transport: 'udp', name: 'Example.ORG', id: 31337 }]);
});

it('project names are never forwarded: known, unknown and the local domain', async () => {
  reset();
  const t = await start([up1.spec]);
  assert.deepEqual(addrs(await viaUdp(t, query('web'))), [CLIENT]);
  assert.equal((await viaUdp(t, query('nope'))).rcode, 'NXDOMAIN');
  assert.equal((await viaUdp(t, query('nope.proj.internal'))).rcode, 'NXDOMAIN');
  assert.equal((await viaTcp(t, query('nope'))).rcode, 'NXDOMAIN');
  assert.deepEqual(up1.seen, []);
});

it('TCP queries are forwarded over TCP', async () => {
  reset();
  const t = await start([up1.spec]);
  const r = await viaTcp(t, query('tcp.example.org'));
  assert.deepEqual(addrs(r), ['192.0.2.1', '192.0.2.2']);
  assert.deepEqual(up1.seen.map((s) => s.transport), ['tcp']);
});

it('a truncated UDP answer is fetched again over TCP; one too big for the client stays truncated (it retries over TCP)', async () => {
  reset();
  const t = await start([up1.spec]);
  up1.behaviour = 'truncate';
  const r = await viaUdp(t, query('tc.example.org'));
  assert.equal(r.flag_tc, false);
  assert.deepEqual(addrs(r), ['192.0.2.1', '192.0.2.2']);
  assert.deepEqual(up1.seen.map((s) => s.transport), ['udp', 'tcp']);
  up1.behaviour = 'truncate-big';
  const big = await viaUdp(t, query('big.example.org'));
  assert.equal(big.flag_tc, true);
  const bigTcp = await viaTcp(t, query('big.example.org'));
  assert.equal(bigTcp.answers?.length, 60);
});

it('no answer from any upstream: SERVFAIL after the timeout', async () => {
  reset();
  up1.behaviour = 'silent';
  up2.behaviour = 'silent';
  const t = await start([up1.spec, up2.spec], { timeoutMs: 200 });
  for (const via of [viaUdp, viaTcp]) {
    const started = Date.now();
    const r = await via(t, query('slow.example.org'));
    const took = Date.now() - started;
    assert.equal(r.rcode, 'SERVFAIL');
    assert.ok(took >= 350 && took < 2000, `took ${took} ms`);
  }
  assert.deepEqual(up1.seen.map((s) => s.transport), ['udp', 'tcp']);
  assert.deepEqual(up2.seen.map((s) => s.transport), ['udp', 'tcp']);
});

it('the next upstream is asked when one is silent or refuses; replies with the wrong id or question do not count', async () => {
  reset();
  const refusing = dgram.createSocket('udp4');
  await new Promise<void>((r) => refusing.bind(0, '127.0.0.62', () => r()));
  const closedPort = refusing.address().port;
  await new Promise<void>((r) => refusing.close(() => r()));
  const t = await start([`127.0.0.62:${closedPort}`, up2.spec], { timeoutMs: 2000 });
  let started = Date.now();
  assert.deepEqual(addrs(await viaUdp(t, query('a.example.org'))), ['192.0.2.1', '192.0.2.2']);
  assert.ok(Date.now() - started < 1000, 'a refusing upstream is skipped at once');

  for (const bad of ['silent', 'wrong-id', 'wrong-question'] as const) {
    reset();
    up1.behaviour = bad;
    const t2 = await start([up1.spec, up2.spec], { timeoutMs: 200 });
    started = Date.now();
    const r = await viaUdp(t2, query('b.example.org'));
    assert.deepEqual(addrs(r), ['192.0.2.1', '192.0.2.2'], bad);
    assert.equal(r.questions?.[0]?.name, 'b.example.org');
    assert.equal(up2.seen.length, 1, bad);
  }
});

it('strangers (addresses the table does not know) get REFUSED for other names unless forwardForUnknownClients', async () => {
  reset();
  const t = await start([up1.spec]);
  const stranger = t.server.answer(query('s.example.org'), '127.0.0.99', false);
  assert.equal((packet.decode((await stranger) as Buffer) as Reply).rcode, 'REFUSED');
  const open = new DnsServer({ table: records, localDomains: [], upstreams: [up1.spec], unknownClientGraceMs: 0, forwardForUnknownClients: true });
  servers.push(open);
  assert.deepEqual(addrs(packet.decode((await open.answer(query('s.example.org'), '127.0.0.99', false)) as Buffer) as Reply), ['192.0.2.1', '192.0.2.2']);
  assert.deepEqual(up1.seen.map((s) => s.name), ['s.example.org']);
});

it('setUpstreams takes effect for the next query', async () => {
  reset();
  const t = await start([up1.spec]);
  await viaUdp(t, query('x.example.org'));
  t.server.setUpstreams([up2.spec]);
  await viaUdp(t, query('y.example.org'));
  assert.deepEqual(up1.seen.map((s) => s.name), ['x.example.org']);
  assert.deepEqual(up2.seen.map((s) => s.name), ['y.example.org']);
});

it('forwarded queries in flight are capped: the rest get SERVFAIL at once; close() abandons the pending ones', async () => {
  reset();
  up1.behaviour = 'silent';
  const t = await start([up1.spec], { timeoutMs: 10_000, maxForwardsInFlight: 2 });
  const pending = [t.server.answer(query('p1.example.org'), CLIENT, false), t.server.answer(query('p2.example.org'), CLIENT, false)];
  const started = Date.now();
  const third = await viaUdp(t, query('p3.example.org'));
  assert.equal(third.rcode, 'SERVFAIL');
  assert.ok(Date.now() - started < 1000);
  await t.server.close();
  const settled = await Promise.all(pending);
  assert.ok(Date.now() - started < 2000, 'close() ends pending forwards');
  for (const s of settled) assert.equal((packet.decode(s as Buffer) as Reply).rcode, 'SERVFAIL');
});

it('upstream specs: ip, ip:port, [v6]:port, bare v6', () => {
  assert.deepEqual(parseUpstream('10.0.0.2'), { host: '10.0.0.2', port: 53 });
  assert.deepEqual(parseUpstream('10.0.0.2:5353'), { host: '10.0.0.2', port: 5353 });
  assert.deepEqual(parseUpstream('[2001:db8::1]:5353'), { host: '2001:db8::1', port: 5353 });
  assert.deepEqual(parseUpstream('2001:db8::1'), { host: '2001:db8::1', port: 53 });
});
