/**
 * Host port reservations: a published port is held by a socket bound in the
 * engine, so another program (or a second publication) cannot take it, and a
 * port in use fails loudly with the port and the service named. The traffic
 * itself never reaches this socket: DNAT sends it to the container first.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { TscComposeError } from '../../errors/index.js';

export interface Reservation {
  port: number;
  close(): Promise<void>;
}

export async function reservePort(protocol: 'tcp' | 'udp', hostIp: string, port: number, service?: string): Promise<Reservation> {
  const host = hostIp === '' ? '0.0.0.0' : hostIp;
  const inUse = (err: NodeJS.ErrnoException): TscComposeError =>
    new TscComposeError(
      'TSC_PORT_IN_USE',
      'conflict',
      err.code === 'EADDRINUSE'
        ? `${service ? `service "${service}": ` : ''}Bind for ${host}:${port}/${protocol} failed: port is already allocated`
        : `${service ? `service "${service}": ` : ''}cannot publish ${host}:${port}/${protocol}: ${err.message}`,
      service ? { service } : {},
    );
  if (protocol === 'udp') {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => reject(inUse(err as NodeJS.ErrnoException)));
      socket.bind(port, host, () => resolve());
    });
    socket.on('error', () => undefined);
    socket.unref();
    return { port: socket.address().port, close: () => new Promise((r) => socket.close(() => r())) };
  }
  const server = net.createServer((c) => c.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(inUse(err as NodeJS.ErrnoException)));
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
  server.on('error', () => undefined);
  server.unref();
  const address = server.address() as net.AddressInfo;
  return { port: address.port, close: () => new Promise((r) => server.close(() => r())) };
}
