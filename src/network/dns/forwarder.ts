/**
 * Sends the names that are not the project's to the host's resolvers. Each
 * query gets its own socket (a fresh source port, so a spoofed reply has to
 * guess it) and a timeout per upstream; upstreams are tried in order. Over
 * UDP a truncated reply is fetched again over TCP from the same upstream;
 * TCP queries go upstream over TCP. A reply counts only when it carries the
 * query's id and question. No answer from any upstream: undefined (the
 * server says SERVFAIL).
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { isReplyTo, isTruncated, udpLimit } from './wire.js';
import type { ParsedQuery } from './wire.js';

export interface Upstream {
  host: string;
  port: number;
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** How long each upstream gets to answer. */
  timeoutMs: number;
  /** Queries forwarded at once; more are refused (SERVFAIL) rather than piling up sockets. */
  maxInFlight?: number;
}

/** `ip`, `ip:port`, `[v6]:port` or a bare IPv6 address. */
export function parseUpstream(text: string): Upstream {
  const t = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracketed) return { host: bracketed[1] as string, port: bracketed[2] ? Number(bracketed[2]) : 53 };
  const v4 = /^([^:]+):(\d+)$/.exec(t);
  if (v4) return { host: v4[1] as string, port: Number(v4[2]) };
  return { host: t, port: 53 };
}

export class Forwarder {
  private upstreams: Upstream[];
  private inFlight = 0;
  /** Cancels every pending upstream exchange (close). */
  private readonly pending = new Set<() => void>();

  constructor(private readonly opts: ForwarderOptions) {
    this.upstreams = [...opts.upstreams];
  }

  setUpstreams(upstreams: Upstream[]): void {
    this.upstreams = [...upstreams];
  }

  get upstreamCount(): number {
    return this.upstreams.length;
  }

  /** The upstream's reply to `raw`, or undefined when none answered. */
  async forward(raw: Buffer, query: ParsedQuery, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    if (this.inFlight >= (this.opts.maxInFlight ?? 512)) return undefined;
    this.inFlight++;
    try {
      for (const upstream of this.upstreams) {
        const reply = transport === 'tcp' ? await this.overTcp(raw, query, upstream) : await this.overUdp(raw, query, upstream);
        if (reply) return reply;
      }
      return undefined;
    } finally {
      this.inFlight--;
    }
  }

  private async overUdp(raw: Buffer, query: ParsedQuery, upstream: Upstream): Promise<Buffer | undefined> {
    const reply = await this.udpExchange(raw, query, upstream);
    if (!reply || !isTruncated(reply)) return reply;
    // Truncated: fetch the whole answer over TCP; it goes back to the UDP client only if it fits, else the client retries over TCP itself.
    const full = await this.overTcp(raw, query, upstream);
    return full && full.length <= udpLimit(query) ? full : reply;
  }

  private udpExchange(raw: Buffer, query: ParsedQuery, upstream: Upstream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = dgram.createSocket(net.isIPv6(upstream.host) ? 'udp6' : 'udp4');
      let done = false;
      const finish = (value: Buffer | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.pending.delete(cancel);
        try {
          socket.close();
        } catch {
          // already closed
        }
        resolve(value);
      };
      const cancel = (): void => finish(undefined);
      this.pending.add(cancel);
      const timer = setTimeout(cancel, this.opts.timeoutMs);
      // Connected: replies from anyone but the upstream are filtered out, and a refusal (ICMP) ends the wait at once.
      socket.on('error', cancel);
      socket.on('message', (msg) => {
        if (isReplyTo(msg, raw, query)) finish(msg);
      });
      socket.connect(upstream.port, upstream.host, () => {
        if (done) return;
        socket.send(raw, (err) => {
          if (err) cancel();
        });
      });
    });
  }

  private overTcp(raw: Buffer, query: ParsedQuery, upstream: Upstream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: upstream.host, port: upstream.port });
      const chunks: Buffer[] = [];
      let received = 0;
      let done = false;
      const finish = (value: Buffer | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.pending.delete(cancel);
        socket.destroy();
        resolve(value);
      };
      const cancel = (): void => finish(undefined);
      this.pending.add(cancel);
      const timer = setTimeout(cancel, this.opts.timeoutMs);
      socket.on('error', cancel);
      socket.on('close', cancel);
      socket.on('connect', () => {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(raw.length);
        socket.write(Buffer.concat([length, raw]));
      });
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (received < 2) return;
        let buf = Buffer.concat(chunks);
        // Several messages may come (an upstream may answer something else first): look at each whole one.
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const message = buf.subarray(2, 2 + buf.readUInt16BE(0));
          if (isReplyTo(message, raw, query)) {
            finish(Buffer.from(message));
            return;
          }
          buf = buf.subarray(2 + message.length);
        }
        chunks.length = 0;
        chunks.push(buf);
        received = buf.length;
      });
    });
  }

  /** Ends every pending exchange (their queries get no reply from upstream). */
  close(): void {
    for (const cancel of [...this.pending]) cancel();
  }
}
