/**
 * IP address management, pure: IPv4 subnets for networks out of default
 * address pools (avoiding every subnet already in use on the host, Docker's
 * and Podman's included), and container addresses inside a subnet (never the
 * network, gateway or broadcast address, never one handed out twice). State
 * is plain data so the engine can persist it and survive restarts.
 */
import { TscComposeError } from '../errors/index.js';

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export interface AddressPool {
  base: string;
  /** Size of each subnet carved out of the pool. */
  size: number;
}

/** Docker's defaults: 172.17–31.0.0/16 as /16s, then 192.168.0.0/16 as /20s. */
export const DEFAULT_POOLS: AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

/** A /30 holds a gateway and one container: the smallest useful network. */
const MAX_SUBNET_PREFIX = 30;

export class IpamError extends TscComposeError {
  constructor(message: string) {
    super('TSC_IPAM', message);
    this.name = 'IpamError';
  }
}

export function parseIPv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new IpamError(`invalid IPv4 address "${text}"`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new IpamError(`invalid IPv4 address "${text}"`);
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function parseCidr(text: string): Cidr {
  const [addr, len] = text.split('/');
  const prefix = Number(len);
  if (addr === undefined || len === undefined || !/^\d{1,2}$/.test(len) || prefix > 32) throw new IpamError(`invalid subnet "${text}"`);
  const ip = parseIPv4(addr);
  return { base: (ip & mask(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/**
 * What is wrong with a pool (Docker's `default-address-pools` entry), or
 * undefined: the base must be a network address, and the subnets carved out
 * of it no larger than the base and still big enough for containers.
 */
export function addressPoolProblem(pool: AddressPool): string | undefined {
  let base: Cidr;
  try {
    base = parseCidr(pool.base);
  } catch (err) {
    return (err as Error).message;
  }
  if (formatCidr(base) !== pool.base) return `base ${pool.base} is not a network address (did you mean ${formatCidr(base)}?)`;
  if (!Number.isInteger(pool.size) || pool.size < base.prefix || pool.size > MAX_SUBNET_PREFIX) {
    return `size must be a prefix length from ${base.prefix} (the base's) to ${MAX_SUBNET_PREFIX}`;
  }
  return undefined;
}

/** The first subnet from the pools that overlaps nothing in `inUse`. */
export function allocateSubnet(inUse: Cidr[], pools: AddressPool[] = DEFAULT_POOLS): Cidr {
  for (const pool of pools) {
    const p = parseCidr(pool.base);
    const step = 2 ** (32 - pool.size);
    for (let base = p.base; base < p.base + cidrSize(p); base += step) {
      const candidate = { base: base >>> 0, prefix: pool.size };
      if (!inUse.some((u) => overlaps(u, candidate))) return candidate;
    }
  }
  throw new IpamError('all predefined address pools have been fully subnetted');
}

export interface SubnetState {
  subnet: string;
  gateway: string;
  /** Only addresses inside this range are handed out automatically. */
  ipRange?: string | undefined;
  /** Address → owner (container id, or "reserved" for aux addresses). */
  allocated: Record<string, string>;
  /** Where the next automatic search starts, so a released address is not reused at once. */
  cursor?: number | undefined;
}

export function newSubnetState(subnet: Cidr, options: { gateway?: string; ipRange?: string; auxAddresses?: string[] } = {}): SubnetState {
  if (subnet.prefix > MAX_SUBNET_PREFIX) throw new IpamError(`subnet ${formatCidr(subnet)} is too small for containers`);
  const gateway = options.gateway ?? formatIPv4(subnet.base + 1);
  if (!contains(subnet, parseIPv4(gateway))) throw new IpamError(`gateway ${gateway} is not in subnet ${formatCidr(subnet)}`);
  if (options.ipRange) {
    const range = parseCidr(options.ipRange);
    if (!contains(subnet, range.base) || range.prefix < subnet.prefix) throw new IpamError(`ip_range ${options.ipRange} is not inside subnet ${formatCidr(subnet)}`);
  }
  const allocated: Record<string, string> = {};
  for (const aux of options.auxAddresses ?? []) allocated[aux] = 'reserved';
  return { subnet: formatCidr(subnet), gateway, ipRange: options.ipRange, allocated };
}

/** Hands out `requested` (ipv4_address) or the next free address; mutates and returns the state. */
export function allocateAddress(state: SubnetState, owner: string, requested?: string): string {
  const subnet = parseCidr(state.subnet);
  const first = subnet.base + 1;
  const last = subnet.base + cidrSize(subnet) - 2;
  const reserved = new Set([state.gateway]);
  if (requested !== undefined) {
    const ip = parseIPv4(requested);
    if (!contains(subnet, ip) || ip < first || ip > last) throw new IpamError(`address ${requested} is not a usable address of subnet ${state.subnet}`);
    if (reserved.has(requested)) throw new IpamError(`address ${requested} is the gateway of ${state.subnet}`);
    const holder = state.allocated[requested];
    if (holder !== undefined && holder !== owner) throw new IpamError(`address ${requested} is already in use`);
    state.allocated[requested] = owner;
    return requested;
  }
  const range = state.ipRange ? parseCidr(state.ipRange) : subnet;
  const lo = Math.max(first, range.base);
  const hi = Math.min(last, range.base + cidrSize(range) - 1);
  const span = hi - lo + 1;
  const start = state.cursor !== undefined && state.cursor >= lo && state.cursor <= hi ? state.cursor : lo;
  for (let i = 0; i < span; i++) {
    const ip = lo + ((start - lo + i) % span);
    const text = formatIPv4(ip);
    if (reserved.has(text) || state.allocated[text] !== undefined) continue;
    state.allocated[text] = owner;
    state.cursor = ip + 1 > hi ? lo : ip + 1;
    return text;
  }
  throw new IpamError(`no free address left in ${state.ipRange ?? state.subnet}`);
}

export function releaseAddresses(state: SubnetState, owner: string): void {
  for (const [ip, holder] of Object.entries(state.allocated)) if (holder === owner) delete state.allocated[ip];
}
