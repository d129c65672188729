/**
 * Host port reservations: a published port is held by a socket bound in the
 * engine, so another program (or a second publication) cannot take it, and a
 * port in use fails loudly with the address, port and service named. The
 * traffic itself never reaches this socket: DNAT sends it to the container
 * before local delivery. Port 0 lets the kernel pick a free port.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { TscComposeError } from '../../errors/index.js';

export interface Reservation {
  port: number;
  close(): Promise<void>;
}

export function portInUseError(protocol: 'tcp' | 'udp', host: string, port: number, service: string | undefined, err: NodeJS.ErrnoException): TscComposeError {
  const who = service ? `service "${service}": ` : '';
  const message =
    err.code === 'EADDRINUSE'
      ? `${who}Bind for ${host}:${port}/${protocol} failed: port is already allocated`
      : `${who}cannot publish ${host}:${port}/${protocol}: ${err.message}`;
  return new TscComposeError(err.code === 'EADDRINUSE' ? 'TSC_PORT_IN_USE' : 'TSC_PORT_UNAVAILABLE', message, { service, cause: err });
}

export async function reservePort(protocol: 'tcp' | 'udp', hostIp: string, port: number, service?: string): Promise<Reservation> {
  const host = hostIp === '' ? '0.0.0.0' : hostIp;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TscComposeError('TSC_PORT_INVALID', `invalid host port ${port}`, { service });
  if (protocol === 'udp') {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => reject(portInUseError(protocol, host, port, service, err)));
      socket.bind({ port, address: host, exclusive: true }, () => resolve());
    });
    socket.on('error', () => undefined);
    socket.unref();
    return { port: socket.address().port, close: () => new Promise((r) => socket.close(() => r())) };
  }
  const server = net.createServer((c) => c.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(portInUseError(protocol, host, port, service, err)));
    server.listen({ host, port, exclusive: true, backlog: 1 }, () => resolve());
  });
  server.on('error', () => undefined);
  server.unref();
  const address = server.address() as net.AddressInfo;
  return { port: address.port, close: () => new Promise((r) => server.close(() => r())) };
}
