/**
 * Who is called what, on which network: the embedded DNS server's table. A
 * name resolves only for a client on a network the target is on (the client
 * is recognised by its source address), so projects and networks stay apart.
 * A client sees every network its container is on, whichever of its
 * addresses asked; a target on several networks it shares with the client is
 * answered once, with its address on the client's first such network (in
 * the order the client's networks were given, i.e. their priority).
 */
import type { NameTable } from './responder.js';

export interface DnsEndpoint {
  containerId: string;
  /** Service name, container name, hostname and aliases, as given for each network. */
  networks: Array<{ network: string; address: string; names: string[] }>;
  /** What a reverse (PTR) lookup of its addresses answers; default: the first name given for that network. */
  reverseName?: string;
}

interface Entry {
  containerId: string;
  address: string;
}

export interface DnsRecordsOptions {
  /** `name.<domain>` is looked up as `name` too (the server also strips its own local domains). */
  localDomains?: string[];
}

export class DnsRecords implements NameTable {
  private readonly endpoints = new Map<string, DnsEndpoint>();
  /** Address → the container that has it (a client's identity). */
  private readonly owners = new Map<string, string>();
  /** Network → lower-cased name → entries, in the order they were set (the order replicas are answered in). */
  private readonly names = new Map<string, Map<string, Entry[]>>();
  private readonly localDomains: string[];

  constructor(opts: DnsRecordsOptions = {}) {
    this.localDomains = (opts.localDomains ?? []).map(normalise).filter((d) => d !== '');
  }

  /** Adds a container or replaces what was known of it; the next query sees the change. */
  set(endpoint: DnsEndpoint): void {
    this.remove(endpoint.containerId);
    const copy: DnsEndpoint = {
      containerId: endpoint.containerId,
      networks: endpoint.networks.map((n) => ({ network: n.network, address: n.address, names: [...n.names] })),
      ...(endpoint.reverseName !== undefined ? { reverseName: endpoint.reverseName } : {}),
    };
    this.endpoints.set(copy.containerId, copy);
    for (const n of copy.networks) {
      this.owners.set(n.address, copy.containerId);
      let table = this.names.get(n.network);
      if (!table) this.names.set(n.network, (table = new Map<string, Entry[]>()));
      for (const name of new Set(n.names.map(normalise))) {
        if (name === '') continue;
        const list = table.get(name);
        const entry = { containerId: copy.containerId, address: n.address };
        if (list) list.push(entry);
        else table.set(name, [entry]);
      }
    }
  }

  remove(containerId: string): void {
    const old = this.endpoints.get(containerId);
    if (!old) return;
    this.endpoints.delete(containerId);
    for (const n of old.networks) {
      // The address may already belong to a newer container (a restart handed it on).
      if (this.owners.get(n.address) === containerId) this.owners.delete(n.address);
      const table = this.names.get(n.network);
      if (!table) continue;
      for (const name of new Set(n.names.map(normalise))) {
        const rest = (table.get(name) ?? []).filter((e) => e.containerId !== containerId);
        if (rest.length > 0) table.set(name, rest);
        else table.delete(name);
      }
      if (table.size === 0) this.names.delete(n.network);
    }
  }

  /** Endpoints currently known (copies), for inspection. */
  list(): DnsEndpoint[] {
    return [...this.endpoints.values()].map((e) => ({ ...e, networks: e.networks.map((n) => ({ ...n, names: [...n.names] })) }));
  }

  knows(clientIp: string): boolean {
    return this.owners.has(clientIp);
  }

  /** The name of whoever has `address`, if the client shares that address's network (or is that container). */
  reverse(address: string, clientIp: string): string | undefined {
    const ownerId = this.owners.get(address);
    const clientId = this.owners.get(clientIp);
    if (ownerId === undefined || clientId === undefined) return undefined;
    const owner = this.endpoints.get(ownerId);
    const client = this.endpoints.get(clientId);
    const attachment = owner?.networks.find((n) => n.address === address);
    if (!owner || !client || !attachment) return undefined;
    if (ownerId !== clientId && !client.networks.some((n) => n.network === attachment.network)) return undefined;
    return owner.reverseName ?? attachment.names[0];
  }

  lookup(name: string, clientIp: string): string[] | undefined {
    const owner = this.owners.get(clientIp);
    const client = owner === undefined ? undefined : this.endpoints.get(owner);
    if (!client) return undefined;
    const key = normalise(name);
    const found = this.lookupKey(key, client);
    if (found) return found;
    for (const d of this.localDomains) {
      if (key.endsWith(`.${d}`)) {
        const short = this.lookupKey(key.slice(0, -(d.length + 1)), client);
        if (short) return short;
      }
    }
    return undefined;
  }

  private lookupKey(key: string, client: DnsEndpoint): string[] | undefined {
    let out: string[] | undefined;
    let seen: Set<string> | undefined;
    for (const n of client.networks) {
      const hits = this.names.get(n.network)?.get(key);
      if (!hits) continue;
      for (const h of hits) {
        seen ??= new Set();
        if (seen.has(h.containerId)) continue;
        seen.add(h.containerId);
        (out ??= []).push(h.address);
      }
    }
    return out;
  }
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
