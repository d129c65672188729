/**
 * The embedded DNS server: UDP and TCP on each network's gateway address.
 * Project names are answered from the table at once (responder.ts); other
 * names go to the host's upstream resolvers with a timeout (SERVFAIL when
 * none answers). Malformed input is dropped or answered FORMERR; nothing a
 * client sends can crash or stall it.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as packet from 'dns-packet';
import { respond } from './responder.js';
import type { NameTable } from './responder.js';

const MAX_UDP = 4096;
const MAX_TCP_MESSAGE = 65535;
const TCP_IDLE_MS = 10_000;

export interface DnsServerOptions {
  table: NameTable;
  localDomains: string[];
  upstreams: string[];
  timeoutMs?: number;
  ttlSeconds?: number;
}

/** Nameservers of a resolv.conf, without loopback ones (unreachable from a container's network). */
export function upstreamsFromResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(raw);
    if (!m) continue;
    const ns = m[1] as string;
    if (ns.startsWith('127.') || ns === '::1') continue;
    out.push(ns);
  }
  return out;
}

function parseUpstream(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  if (m && !text.includes('::')) return { host: m[1] as string, port: Number(m[2]) };
  return { host: text, port: 53 };
}

function servfail(query: Buffer): Buffer | undefined {
  try {
    const q = packet.decode(query);
    return packet.encode({ type: 'response', id: q.id ?? 0, flags: packet.RECURSION_AVAILABLE | 2, questions: q.questions ?? [] });
  } catch {
    return undefined;
  }
}

interface Listener {
  udp: dgram.Socket;
  tcp: net.Server;
  connections: Set<net.Socket>;
}

export class DnsServer {
  private readonly listeners = new Map<string, Listener>();
  private upstreams: Array<{ host: string; port: number }>;
  private rotation = 0;

  constructor(private readonly opts: DnsServerOptions) {
    this.upstreams = opts.upstreams.map(parseUpstream);
  }

  setUpstreams(upstreams: string[]): void {
    this.upstreams = upstreams.map(parseUpstream);
  }

  /** Answers one query (UDP or TCP payload); undefined: say nothing. */
  async answer(query: Buffer, clientIp: string, overTcp: boolean): Promise<Buffer | undefined> {
    // Rotate on A queries only: a resolver's AAAA query in between must not undo the rotation.
    let isA = false;
    try {
      isA = packet.decode(query).questions?.[0]?.type === 'A';
    } catch {
      isA = false;
    }
    const decision = respond(query, clientIp, this.opts.table, { localDomains: this.opts.localDomains, ttlSeconds: this.opts.ttlSeconds ?? 2 }, isA ? this.rotation++ : this.rotation);
    if (decision.kind === 'answer') return decision.packet;
    if (decision.kind === 'drop') return undefined;
    for (const upstream of this.upstreams) {
      const reply = overTcp ? await this.forwardTcp(query, upstream) : await this.forwardUdp(query, upstream);
      if (reply) {
        // A truncated UDP answer: ask again over TCP for the whole one, then hand back what fits (the client retries over TCP).
        if (!overTcp && reply.length >= 4 && (reply.readUInt16BE(2) & 0x0200) !== 0) return reply;
        return reply;
      }
    }
    return servfail(query);
  }

  private forwardUdp(query: Buffer, upstream: { host: string; port: number }): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = dgram.createSocket(net.isIPv6(upstream.host) ? 'udp6' : 'udp4');
      const id = query.readUInt16BE(0);
      const finish = (value: Buffer | undefined): void => {
        clearTimeout(timer);
        socket.close();
        resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), this.opts.timeoutMs ?? 2000);
      socket.on('error', () => finish(undefined));
      socket.on('message', (msg) => {
        if (msg.length >= 2 && msg.readUInt16BE(0) === id) finish(msg);
      });
      socket.send(query, upstream.port, upstream.host);
    });
  }

  private forwardTcp(query: Buffer, upstream: { host: string; port: number }): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = net.connect(upstream.port, upstream.host);
      let buf = Buffer.alloc(0);
      const finish = (value: Buffer | undefined): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), this.opts.timeoutMs ?? 2000);
      socket.on('error', () => finish(undefined));
      socket.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        socket.write(Buffer.concat([len, query]));
      });
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      });
    });
  }

  async listen(address: string, port = 53): Promise<{ port: number }> {
    if (this.listeners.has(address)) return { port: (this.listeners.get(address) as Listener).udp.address().port };
    const udp = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: true });
    udp.on('message', (msg, rinfo) => {
      if (msg.length > MAX_UDP) return;
      void this.answer(msg, rinfo.address, false)
        .then((reply) => {
          if (reply) udp.send(reply, rinfo.port, rinfo.address);
        })
        .catch(() => undefined);
    });
    udp.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, address, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const boundPort = udp.address().port;
    const connections = new Set<net.Socket>();
    const tcp = net.createServer((socket) => this.serveTcp(socket, connections));
    tcp.on('error', () => undefined);
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(boundPort, address, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    this.listeners.set(address, { udp, tcp, connections });
    return { port: boundPort };
  }

  private serveTcp(socket: net.Socket, connections: Set<net.Socket>): void {
    connections.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > MAX_TCP_MESSAGE + 2) {
        socket.destroy();
        return;
      }
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const query = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        void this.answer(Buffer.from(query), socket.remoteAddress?.replace(/^::ffff:/, '') ?? '', true)
          .then((reply) => {
            if (!reply || socket.destroyed) return;
            const header = Buffer.alloc(2);
            header.writeUInt16BE(reply.length);
            socket.write(Buffer.concat([header, reply]));
          })
          .catch(() => undefined);
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

  async close(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((a) => this.unlisten(a)));
  }
}
