/**
 * The embedded DNS server on loopback, measured with a node client in a
 * worker thread (its own event loop, so client and server do not take turns
 * on one): service-name lookup latency p50/p99 (one query at a time) and
 * lookups per second (32 in flight), over UDP and TCP, for a known name, an
 * unknown project name (NXDOMAIN) and a forwarded name (to a fake upstream on
 * loopback). The in-container measurement comes from the engine's benchmark.
 * Standalone: `node dist/bench/dns-bench.js`; no root needed.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as packet from 'dns-packet';
import { DnsRecords } from '../src/network/dns/records.js';
import { DnsServer } from '../src/network/dns/server.js';
import { printTable } from './lib.js';
import type { Row } from './lib.js';

const SERVER = '127.0.0.90';
const CLIENT = '127.0.0.91';
const UPSTREAM = '127.0.0.92';

interface ClientJob {
  dnsBench: true;
  port: number;
  name: string;
  transport: 'udp' | 'tcp';
  sequential: number;
  concurrency: number;
  durationMs: number;
}

interface ClientResult {
  p50us: number;
  p99us: number;
  perSecond: number;
  lost: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** A client that matches replies to queries by id, over one UDP socket or one TCP connection. */
async function openClient(job: ClientJob): Promise<{ ask(id: number): Promise<boolean>; close(): void }> {
  const waiting = new Map<number, (ok: boolean) => void>();
  const deliver = (m: Buffer): void => {
    if (m.length < 12) return;
    const done = waiting.get(m.readUInt16BE(0));
    waiting.delete(m.readUInt16BE(0));
    done?.(true);
  };
  const message = (id: number): Buffer => packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: job.name, class: 'IN' }] });
  const expect = (id: number): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(false);
      }, 1000);
      waiting.set(id, (ok) => {
        clearTimeout(timer);
        resolve(ok);
      });
    });
  if (job.transport === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, CLIENT, () => r()));
    s.connect(job.port, SERVER);
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.on('message', deliver);
    return {
      ask: (id) => {
        const p = expect(id);
        s.send(message(id));
        return p;
      },
      close: () => s.close(),
    };
  }
  const s = net.connect({ host: SERVER, port: job.port, localAddress: CLIENT });
  s.setNoDelay(true);
  await new Promise<void>((r) => s.once('connect', () => r()));
  let buf: Buffer = Buffer.alloc(0);
  s.on('data', (c: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, c]) : c;
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      deliver(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      buf = buf.subarray(2 + buf.readUInt16BE(0));
    }
  });
  return {
    ask: (id) => {
      const p = expect(id);
      const m = message(id);
      s.write(Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]));
      return p;
    },
    close: () => s.destroy(),
  };
}

async function runClient(job: ClientJob): Promise<ClientResult> {
  const client = await openClient(job);
  let id = 0;
  let lost = 0;
  const next = (): number => (id = (id + 1) & 0xffff);
  for (let i = 0; i < 200; i++) await client.ask(next()); // warm-up
  const latencies: number[] = [];
  for (let i = 0; i < job.sequential; i++) {
    const start = process.hrtime.bigint();
    if (await client.ask(next())) latencies.push(Number(process.hrtime.bigint() - start) / 1000);
    else lost++;
  }
  latencies.sort((a, b) => a - b);
  let completed = 0;
  const deadline = Date.now() + job.durationMs;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (Date.now() < deadline) {
        if (await client.ask(next())) completed++;
        else lost++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  client.close();
  return { p50us: percentile(latencies, 50), p99us: percentile(latencies, 99), perSecond: completed / seconds, lost };
}

function inWorker(job: ClientJob): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: job });
    w.once('message', (r: ClientResult) => resolve(r));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`dns bench client exited ${code}`));
    });
  });
}

/** A resolver on loopback that answers every query at once (the forwarded case without a network in the way). */
async function fakeUpstream(): Promise<{ spec: string; close(): Promise<void> }> {
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, UPSTREAM, () => r()));
  udp.on('message', (m, rinfo) => {
    const q = packet.decode(m);
    const reply = packet.encode({ type: 'response', id: q.id, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name: q.questions?.[0]?.name ?? '', ttl: 60, data: '192.0.2.1' }] });
    udp.send(reply, rinfo.port, rinfo.address);
  });
  return { spec: `${UPSTREAM}:${udp.address().port}`, close: () => new Promise((r) => udp.close(() => r())) };
}

export async function dnsBenchmarks(): Promise<Row[]> {
  const records = new DnsRecords();
  records.set({ containerId: 'client', networks: [{ network: 'proj_default', address: CLIENT, names: ['client'] }] });
  // A project of 200 services, three replicas for the one asked about.
  for (let i = 0; i < 200; i++) records.set({ containerId: `svc${i}`, networks: [{ network: 'proj_default', address: `10.88.${i >> 8}.${i & 255}`, names: [`svc${i}`, `proj-svc${i}-1`] }] });
  for (let r = 1; r <= 3; r++) records.set({ containerId: `web${r}`, networks: [{ network: 'proj_default', address: `10.89.0.${r}`, names: ['web', `proj-web-${r}`] }] });
  const upstream = await fakeUpstream();
  const server = new DnsServer({ table: records, localDomains: ['proj.internal'], upstreams: [upstream.spec] });
  const { port } = await server.listen(SERVER, 0);
  const rows: Row[] = [];
  try {
    const cases: Array<{ label: string; name: string; transport: 'udp' | 'tcp' }> = [
      { label: 'service name (3 replicas), UDP', name: 'web', transport: 'udp' },
      { label: 'service name (3 replicas), TCP', name: 'web', transport: 'tcp' },
      { label: 'unknown project name (NXDOMAIN), UDP', name: 'nope', transport: 'udp' },
      { label: 'forwarded name (loopback upstream), UDP', name: 'www.example.org', transport: 'udp' },
    ];
    for (const c of cases) {
      const r = await inWorker({ dnsBench: true, port, name: c.name, transport: c.transport, sequential: 5000, concurrency: 32, durationMs: 2000 });
      rows.push({ metric: `dns ${c.label}: p50`, ours: r.p50us, peerName: '', peer: undefined, unit: 'us' });
      rows.push({ metric: `dns ${c.label}: p99`, ours: r.p99us, peerName: '', peer: undefined, unit: 'us' });
      rows.push({ metric: `dns ${c.label}: lookups/s (32 in flight)`, ours: r.perSecond, peerName: '', peer: undefined, unit: '/s' });
      if (r.lost > 0) rows.push({ metric: `dns ${c.label}: lost (1 s timeout)`, ours: r.lost, peerName: '', peer: undefined, unit: 'queries' });
    }
  } finally {
    await server.close();
    await upstream.close();
  }
  return rows;
}

if (!isMainThread && (workerData as ClientJob | undefined)?.dnsBench) {
  void runClient(workerData as ClientJob).then((r) => parentPort?.postMessage(r));
} else if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  dnsBenchmarks()
    .then((rows) => printTable(rows))
    .catch((err) => {
      process.stderr.write(`dns benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    });
}
