/**
 * The embedded DNS server: UDP and TCP on each network's gateway address.
 * Project names are answered from the table at once (responder.ts); other
 * names go to the host's upstream resolvers with a timeout (forwarder.ts),
 * SERVFAIL when none answers. Malformed input is dropped or answered with an
 * error; nothing a client sends can crash or stall it: replies are built from
 * bounded reads, TCP connections are capped in number, idle time and
 * queries outstanding, and forwarded queries in flight are capped too.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { Forwarder, parseUpstream } from './forwarder.js';
import { respond } from './responder.js';
import type { NameTable } from './responder.js';
import { encodeError, parseQuery } from './wire.js';

/** Larger UDP queries are not queries (a real one is a few dozen bytes); dropped unread. */
const MAX_UDP_QUERY = 4096;
const DEFAULT_TCP_IDLE_MS = 10_000;
const MAX_TCP_CONNECTIONS = 256;
/** Queries one TCP connection may have outstanding before we stop reading from it. */
const MAX_TCP_PENDING = 32;
/** Reply bytes a TCP client may leave unread before it is cut off. */
const MAX_TCP_UNREAD = 1 << 20;
/** Queries from unknown clients held at once; past that they are answered without waiting. */
const MAX_WAITING_STRANGERS = 256;
const STRANGER_POLL_MS = 10;
/** Per-name rotation counters kept at most; past that they start again (only the spread matters). */
const MAX_ROTATION_NAMES = 4096;

export interface DnsServerOptions {
  table: NameTable;
  localDomains: string[];
  /** `ip` or `ip:port` (`[v6]:port`). */
  upstreams: string[];
  /** How long each upstream gets (default 2000 ms). */
  timeoutMs?: number;
  /** TTL of local answers (default 1 s: a restarted container's new address is seen at once). */
  ttlSeconds?: number;
  /** A TCP connection with nothing to say for this long is closed (default 10 s). */
  tcpIdleMs?: number;
  /** Forwarded queries in flight at once (default 512); more get SERVFAIL. */
  maxForwardsInFlight?: number;
  /**
   * A query from an address the table does not know (yet) waits this long
   * for it to appear (default 300 ms): a container may ask before the engine
   * has published its records, and must not get NXDOMAIN for that.
   */
  unknownClientGraceMs?: number;
  /**
   * Forward names for clients the table does not know (default false: they
   * get REFUSED). The gateway addresses are the host's, reachable from more
   * than containers; an open forwarder there would serve anyone.
   */
  forwardForUnknownClients?: boolean;
}

/** Nameservers of a resolv.conf, without loopback ones (unreachable from a container's network), as Docker does. */
export function upstreamsFromResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(raw);
    if (!m) continue;
    const ns = (m[1] as string).replace(/%.*$/, ''); // a zone id (fe80::1%eth0) means nothing inside a container
    if (isLoopback(ns)) continue;
    if (!net.isIP(ns)) continue;
    out.push(ns);
  }
  return out;
}

function isLoopback(address: string): boolean {
  if (net.isIPv4(address)) return address.startsWith('127.');
  if (!net.isIPv6(address)) return false;
  const a = address.toLowerCase();
  return a === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(a) || a.startsWith('::ffff:127.');
}

interface Listener {
  udp: dgram.Socket;
  tcp: net.Server;
  connections: Set<net.Socket>;
  port: number;
}

export class DnsServer {
  private readonly listeners = new Map<string, Listener>();
  private readonly forwarder: Forwarder;
  private readonly rotations = new Map<string, number>();
  private readonly ttlSeconds: number;
  private waitingStrangers = 0;

  constructor(private readonly opts: DnsServerOptions) {
    this.forwarder = new Forwarder({ upstreams: opts.upstreams.map(parseUpstream), timeoutMs: opts.timeoutMs ?? 2000, maxInFlight: opts.maxForwardsInFlight ?? 512 });
    this.ttlSeconds = opts.ttlSeconds ?? 1;
  }

  setUpstreams(upstreams: string[]): void {
    this.forwarder.setUpstreams(upstreams.map(parseUpstream));
  }

  /** Addresses this server listens on, with their port. */
  listening(): Array<{ address: string; port: number }> {
    return [...this.listeners.entries()].map(([address, l]) => ({ address, port: l.port }));
  }

  /** Answers one query (UDP or TCP payload); undefined: say nothing. Never throws. */
  async answer(query: Buffer, clientIp: string, overTcp: boolean): Promise<Buffer | undefined> {
    try {
      const table = this.opts.table;
      // Garbage does not wait: only a readable query from a stranger is held.
      const known = table.knows ? table.knows(clientIp) || (parseQuery(query).ok && (await this.awaitClient(clientIp))) : true;
      const decision = respond(query, clientIp, this.opts.table, { localDomains: this.opts.localDomains, ttlSeconds: this.ttlSeconds }, (name) => this.nextRotation(name), overTcp ? 'tcp' : 'udp');
      if (decision.kind === 'answer') return decision.packet;
      if (decision.kind === 'drop') return undefined;
      if (!known && !this.opts.forwardForUnknownClients) return encodeError(query, decision.query, 'REFUSED');
      const reply = await this.forwarder.forward(query, decision.query, overTcp ? 'tcp' : 'udp');
      return reply ?? encodeError(query, decision.query, 'SERVFAIL');
    } catch {
      return undefined;
    }
  }

  /** Waits (bounded) for an unknown client to be published; whether it was. */
  private async awaitClient(clientIp: string): Promise<boolean> {
    const grace = this.opts.unknownClientGraceMs ?? 300;
    if (grace <= 0 || this.waitingStrangers >= MAX_WAITING_STRANGERS) return false;
    this.waitingStrangers++;
    try {
      for (let waited = 0; waited < grace; waited += STRANGER_POLL_MS) {
        await sleep(STRANGER_POLL_MS);
        if (this.opts.table.knows?.(clientIp)) return true;
      }
      return false;
    } finally {
      this.waitingStrangers--;
    }
  }

  /** Round robin per name: each answer of a name starts one further along its addresses. */
  private nextRotation(name: string): number {
    if (this.rotations.size >= MAX_ROTATION_NAMES && !this.rotations.has(name)) this.rotations.clear();
    const n = this.rotations.get(name) ?? 0;
    this.rotations.set(name, (n + 1) % 0x40000000);
    return n;
  }

  /** Serves UDP and TCP on `address`; port 0 picks a free port (the same one for both). */
  async listen(address: string, port = 53): Promise<{ port: number }> {
    const existing = this.listeners.get(address);
    if (existing) return { port: existing.port };
    // With port 0 the UDP port is chosen first and TCP may find it taken: try a few.
    for (let attempt = 0; ; attempt++) {
      try {
        const listener = await this.open(address, port);
        this.listeners.set(address, listener);
        return { port: listener.port };
      } catch (err) {
        if (port !== 0 || attempt >= 8 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
  }

  private async open(address: string, port: number): Promise<Listener> {
    const udp = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, address, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const boundPort = udp.address().port;
    const connections = new Set<net.Socket>();
    const tcp = net.createServer({ allowHalfOpen: true }, (socket) => this.serveTcp(socket, connections));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ port: boundPort, host: address, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await new Promise<void>((r) => udp.close(() => r()));
      throw err;
    }
    tcp.on('error', () => undefined);
    udp.on('error', () => undefined);
    udp.on('message', (msg, rinfo) => {
      if (msg.length > MAX_UDP_QUERY) return;
      void this.answer(msg, rinfo.address, false).then((reply) => {
        if (!reply) return;
        try {
          udp.send(reply, rinfo.port, rinfo.address);
        } catch {
          // the listener was closed while the query was upstream
        }
      });
    });
    return { udp, tcp, connections, port: boundPort };
  }

  /** RFC 1035/7766 framing: a 2-byte length before each message, any number per connection, replies in any order. */
  private serveTcp(socket: net.Socket, connections: Set<net.Socket>): void {
    if (connections.size >= MAX_TCP_CONNECTIONS) {
      socket.destroy();
      return;
    }
    connections.add(socket);
    const clientIp = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    let buffered: Buffer = Buffer.alloc(0);
    let pending = 0;
    let readEnded = false;
    socket.setNoDelay(true);
    socket.setTimeout(this.opts.tcpIdleMs ?? DEFAULT_TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => undefined);
    const maybeEnd = (): void => {
      if (readEnded && pending === 0 && !socket.destroyed) socket.end();
    };
    socket.on('end', () => {
      readEnded = true;
      maybeEnd();
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      // A frame is at most 2 + 65535 bytes, so `buffered` stays below two of them.
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const message = Buffer.from(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        pending++;
        if (pending >= MAX_TCP_PENDING) socket.pause();
        void this.answer(message, clientIp, true).then((reply) => {
          pending--;
          if (!socket.destroyed) {
            if (reply && socket.writable) {
              const header = Buffer.alloc(2);
              header.writeUInt16BE(reply.length);
              socket.write(Buffer.concat([header, reply]));
              // A client that asks and never reads would have us buffer replies without end.
              if (socket.writableLength > MAX_TCP_UNREAD) socket.destroy();
            }
            if (pending < MAX_TCP_PENDING && socket.isPaused()) socket.resume();
          }
          maybeEnd();
        });
      }
    });
  }

  async unlisten(address: string): Promise<void> {
    const l = this.listeners.get(address);
    if (!l) return;
    this.listeners.delete(address);
    for (const c of l.connections) c.destroy();
    await Promise.all([new Promise<void>((r) => l.udp.close(() => r())), new Promise<void>((r) => l.tcp.close(() => r()))]);
  }

  /** Stops listening everywhere and abandons queries still upstream. */
  async close(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((a) => this.unlisten(a)));
    this.forwarder.close();
  }
}
