import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as packet from 'dns-packet';
import { DnsRecords } from '../../../../src/network/dns/records.js';
import { DnsServer, upstreamsFromResolvConf } from '../../../../src/network/dns/server.js';

// Clients are told apart by source address: loopback's 127.0.0.0/8 gives us as many as we like, without root.
const SERVER = '127.0.0.50';
const FRONT = '127.0.0.2'; // on net a and b
const WEB1 = '127.0.0.3'; // on a
const WEB2 = '127.0.0.4'; // on a
const DB = '127.0.0.5'; // on b

type Reply = packet.DecodedPacket & { rcode?: string; flag_tc?: boolean; flag_aa?: boolean };

let records: DnsRecords;
let server: DnsServer;
let port: number;

before(async () => {
  records = new DnsRecords();
  records.set({ containerId: 'front', networks: [{ network: 'a', address: FRONT, names: ['front'] }, { network: 'b', address: '127.0.1.2', names: ['front'] }] });
  records.set({ containerId: 'web1', networks: [{ network: 'a', address: WEB1, names: ['web', 'proj-web-1'] }] });
  records.set({ containerId: 'web2', networks: [{ network: 'a', address: WEB2, names: ['web', 'proj-web-2'] }] });
  records.set({ containerId: 'db', networks: [{ network: 'b', address: DB, names: ['db', 'database'] }] });
  // No upstreams: nothing here may ever reach a real resolver.
  server = new DnsServer({ table: records, localDomains: ['proj.internal'], upstreams: [], ttlSeconds: 1, tcpIdleMs: 300 });
  ({ port } = await server.listen(SERVER, 0));
});

after(async () => {
  await server.close();
});

function query(name: string, type: packet.RecordType = 'A', id = 4242, extra: Partial<packet.Packet> = {}): Buffer {
  return packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }], ...extra });
}

function udp(from: string, message: Buffer, timeoutMs = 1000): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('error', (err) => {
      clearTimeout(timer);
      s.close();
      reject(err);
    });
    s.on('message', (msg) => {
      clearTimeout(timer);
      s.close();
      resolve(msg);
    });
    s.bind(0, from, () => s.send(message, port, SERVER));
  });
}

async function ask(from: string, name: string, type: packet.RecordType = 'A'): Promise<Reply> {
  const reply = await udp(from, query(name, type));
  assert.ok(reply, `no reply for ${name}`);
  return packet.decode(reply);
}

const addrs = (r: Reply): string[] => (r.answers ?? []).map((a) => (a as { data: string }).data);

/** Sends `frames` (already framed or raw bytes) over one TCP connection from `from`; collects framed replies until `count` or close. */
function tcp(from: string, writes: Buffer[], count: number, timeoutMs = 2000): Promise<{ replies: Buffer[]; closed: boolean }> {
  return new Promise((resolve) => {
    const replies: Buffer[] = [];
    let buf = Buffer.alloc(0);
    let closed = false;
    const socket = net.connect({ host: SERVER, port, localAddress: from });
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ replies, closed });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('connect', async () => {
      for (const w of writes) {
        socket.write(w);
        await new Promise((r) => setImmediate(r));
      }
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        replies.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (replies.length >= count) finish();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });
  });
}

const frame = (m: Buffer): Buffer => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);

it('answers A for names on shared networks, authoritative, short TTL, question echoed as asked', async () => {
  const r = await ask(FRONT, 'DataBase');
  assert.equal(r.rcode, 'NOERROR');
  assert.equal(r.id, 4242);
  assert.equal(r.flag_aa, true);
  assert.deepEqual(addrs(r), [DB]);
  assert.equal(r.questions?.[0]?.name, 'DataBase');
  assert.equal((r.answers?.[0] as { ttl: number }).ttl, 1);
  assert.deepEqual(addrs(await ask(FRONT, 'db.proj.internal.')), [DB]);
});

it('scoping: a client on another network gets NXDOMAIN, as does an unknown client', async () => {
  assert.equal((await ask(WEB1, 'db')).rcode, 'NXDOMAIN');
  assert.equal((await ask(DB, 'web')).rcode, 'NXDOMAIN');
  assert.equal((await ask('127.0.0.99', 'web')).rcode, 'NXDOMAIN');
  assert.deepEqual(addrs(await ask(DB, 'front')), ['127.0.1.2']);
});

it('unknown local names: NXDOMAIN; AAAA and other types of a known name: NODATA; none forwarded', async () => {
  for (const name of ['nope', 'nope.proj.internal']) assert.equal((await ask(FRONT, name)).rcode, 'NXDOMAIN');
  for (const type of ['AAAA', 'MX', 'TXT'] as const) {
    const r = await ask(FRONT, 'web', type);
    assert.equal(r.rcode, 'NOERROR');
    assert.equal(r.answers?.length, 0);
  }
  // Without upstreams a forwarded name is SERVFAIL; a local one never is.
  assert.equal((await ask(FRONT, 'example.org')).rcode, 'SERVFAIL');
});

it('replicas answer together, round robin per query; AAAA queries in between do not disturb it', async () => {
  const firsts: string[] = [];
  for (let i = 0; i < 6; i++) {
    const r = await ask(FRONT, 'web');
    assert.deepEqual([...addrs(r)].sort(), [WEB1, WEB2]);
    firsts.push(addrs(r)[0] as string);
    await ask(FRONT, 'web', 'AAAA');
  }
  for (let i = 1; i < firsts.length; i++) assert.notEqual(firsts[i], firsts[i - 1], `rotation: ${firsts.join(' ')}`);
});

it('a client not yet published gets its answer once it is (within the grace); strangers are not forwarded for', async () => {
  const late = '127.0.0.7';
  const pending = ask(late, 'db');
  setTimeout(() => records.set({ containerId: 'late', networks: [{ network: 'b', address: late, names: ['late'] }] }), 80);
  try {
    assert.deepEqual(addrs(await pending), [DB]);
  } finally {
    records.remove('late');
  }
  const started = Date.now();
  assert.equal((await ask('127.0.0.8', 'example.org')).rcode, 'REFUSED');
  assert.ok(Date.now() - started >= 250);
});

it('records updated live: the next query sees a removed container gone and its new address', async () => {
  records.set({ containerId: 'db', networks: [{ network: 'b', address: '127.0.0.6', names: ['db', 'database'] }] });
  assert.deepEqual(addrs(await ask(FRONT, 'db')), ['127.0.0.6']);
  records.remove('db');
  assert.equal((await ask(FRONT, 'db')).rcode, 'NXDOMAIN');
  records.set({ containerId: 'db', networks: [{ network: 'b', address: DB, names: ['db', 'database'] }] });
  assert.deepEqual(addrs(await ask(FRONT, 'db')), [DB]);
});

it('PTR of a container address on a shared network is answered here; others are not ours', async () => {
  const r = await ask(FRONT, '5.0.0.127.in-addr.arpa', 'PTR');
  assert.equal(r.rcode, 'NOERROR');
  assert.equal(r.answers?.[0]?.type, 'PTR');
  assert.equal((r.answers?.[0] as { data: string }).data, 'db.proj.internal');
  // web1 cannot see db: the query goes upstream (none here: SERVFAIL), never a local answer.
  assert.equal((await ask(WEB1, '5.0.0.127.in-addr.arpa', 'PTR')).rcode, 'SERVFAIL');
});

it('TCP: several queries per connection, split across writes, pipelined', async () => {
  const msgs = [query('web', 'A', 1), query('db', 'A', 2), query('nope', 'A', 3), query('web', 'AAAA', 4)];
  const stream = Buffer.concat(msgs.map(frame));
  // One byte at a time, then everything in one write.
  const writes = [...stream].map((b) => Buffer.from([b]));
  for (const w of [writes, [stream]]) {
    const { replies } = await tcp(FRONT, w, msgs.length);
    const byId = new Map(replies.map((b) => [(packet.decode(b) as Reply).id, packet.decode(b) as Reply]));
    assert.equal(byId.size, 4);
    assert.deepEqual([...addrs(byId.get(1) as Reply)].sort(), [WEB1, WEB2]);
    assert.deepEqual(addrs(byId.get(2) as Reply), [DB]);
    assert.equal(byId.get(3)?.rcode, 'NXDOMAIN');
    assert.equal(byId.get(4)?.answers?.length, 0);
  }
  // Scoped by the TCP client's address too.
  const { replies } = await tcp(WEB1, [frame(query('db'))], 1);
  assert.equal((packet.decode(replies[0] as Buffer) as Reply).rcode, 'NXDOMAIN');
});

it('TCP: an idle connection is closed; a half-closed one still gets its answer', async () => {
  const started = Date.now();
  const idle = await tcp(FRONT, [], 1, 3000);
  assert.equal(idle.closed, true);
  assert.ok(Date.now() - started < 2000);
  const answered = await new Promise<Buffer>((resolve, reject) => {
    const s = net.connect({ host: SERVER, port, localAddress: FRONT, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    s.on('connect', () => s.end(frame(query('db'))));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
  assert.deepEqual(addrs(packet.decode(answered.subarray(2)) as Reply), [DB]);
});

it('many replicas: over UDP the answer is cut to 512 bytes with TC set, over TCP it is whole; EDNS raises the UDP limit', async () => {
  const many = new DnsRecords();
  const client = '127.0.0.2';
  many.set({ containerId: 'client', networks: [{ network: 'n', address: client, names: ['client'] }] });
  for (let i = 0; i < 60; i++) many.set({ containerId: `r${i}`, networks: [{ network: 'n', address: `10.0.1.${i + 1}`, names: ['big'] }] });
  const s = new DnsServer({ table: many, localDomains: [], upstreams: [] });
  const { port: p } = await s.listen('127.0.0.54', 0);
  try {
    const viaUdp = (m: Buffer): Promise<Buffer | undefined> =>
      new Promise((resolve) => {
        const c = dgram.createSocket('udp4');
        c.on('message', (msg) => {
          c.close();
          resolve(msg);
        });
        c.bind(0, client, () => c.send(m, p, '127.0.0.54'));
      });
    const small = await viaUdp(query('big'));
    assert.ok(small && small.length <= 512);
    const decoded = packet.decode(small) as Reply;
    assert.equal(decoded.flag_tc, true);
    assert.ok((decoded.answers?.length ?? 0) > 20);
    const edns = await viaUdp(query('big', 'A', 7, { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as packet.Answer] }));
    const e = packet.decode(edns as Buffer) as Reply;
    assert.equal(e.flag_tc, false);
    assert.equal(e.answers?.length, 60);
    assert.equal(e.additionals?.[0]?.type, 'OPT');
    const whole = await new Promise<Buffer>((resolve) => {
      const c = net.connect({ host: '127.0.0.54', port: p, localAddress: client });
      const chunks: Buffer[] = [];
      c.on('connect', () => c.write(frame(query('big'))));
      c.on('data', (d: Buffer) => {
        chunks.push(d);
        const b = Buffer.concat(chunks);
        if (b.length >= 2 && b.length >= 2 + b.readUInt16BE(0)) {
          c.destroy();
          resolve(b.subarray(2));
        }
      });
    });
    assert.equal((packet.decode(whole) as Reply).answers?.length, 60);
  } finally {
    await s.close();
  }
});

it('non-queries: responses are dropped, other opcodes get NOTIMP, bad question counts FORMERR', async () => {
  const response = packet.encode({ type: 'response', id: 9, flags: 0, questions: [{ type: 'A', name: 'web', class: 'IN' }] });
  assert.equal(await udp(FRONT, response, 300), undefined);
  const notify = Buffer.from(query('web'));
  notify.writeUInt16BE((4 << 11) | 0x0100, 2);
  assert.equal((packet.decode((await udp(FRONT, notify)) as Buffer) as Reply).rcode, 'NOTIMP');
  const two = packet.encode({ type: 'query', id: 5, questions: [{ type: 'A', name: 'web' }, { type: 'A', name: 'db' }] });
  assert.equal((packet.decode((await udp(FRONT, two)) as Buffer) as Reply).rcode, 'FORMERR');
  assert.equal(await udp(FRONT, Buffer.alloc(5000, 1), 300), undefined); // oversized: dropped unread
});

it('listen/unlisten per address; the same server on two addresses', async () => {
  const { port: p2 } = await server.listen('127.0.0.55', 0);
  assert.ok(server.listening().some((l) => l.address === '127.0.0.55' && l.port === p2));
  assert.deepEqual(await server.listen('127.0.0.55', 0), { port: p2 });
  await server.unlisten('127.0.0.55');
  await server.unlisten('127.0.0.55');
  assert.ok(!server.listening().some((l) => l.address === '127.0.0.55'));
  await assert.rejects(server.listen('192.0.2.77', 0)); // not an address of this host
});

it('upstreamsFromResolvConf skips loopback resolvers, as Docker does', () => {
  const text = ['# generated', 'search example.com', 'nameserver 127.0.0.53', 'nameserver 10.0.0.2', ' nameserver 1.1.1.1 # trailing', 'nameserver ::1', 'nameserver 0:0:0:0:0:0:0:1', 'nameserver 2001:db8::1', 'nameserver fe80::1%eth0', 'nameserver not-an-ip', 'options ndots:1'].join('\n');
  assert.deepEqual(upstreamsFromResolvConf(text), ['10.0.0.2', '1.1.1.1', '2001:db8::1', 'fe80::1']);
});
