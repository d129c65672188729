/**
 * Who is called what, on which network: the embedded DNS server's table. A
 * name resolves only for a client on a network the target is on (the client
 * is recognised by its source address), so projects and networks stay apart.
 */
import type { NameTable } from './responder.js';

export interface DnsEndpoint {
  containerId: string;
  networks: Array<{ network: string; address: string; names: string[] }>;
}

export class DnsRecords implements NameTable {
  private readonly endpoints = new Map<string, DnsEndpoint>();
  /** address → networks it is on (a client's view). */
  private readonly clients = new Map<string, Set<string>>();
  /** network → lower-cased name → addresses. */
  private readonly names = new Map<string, Map<string, string[]>>();

  set(endpoint: DnsEndpoint): void {
    this.remove(endpoint.containerId);
    this.endpoints.set(endpoint.containerId, endpoint);
    this.rebuild();
  }

  remove(containerId: string): void {
    if (this.endpoints.delete(containerId)) this.rebuild();
  }

  private rebuild(): void {
    this.clients.clear();
    this.names.clear();
    for (const e of this.endpoints.values()) {
      for (const n of e.networks) {
        const nets = this.clients.get(n.address) ?? new Set<string>();
        nets.add(n.network);
        this.clients.set(n.address, nets);
        const table = this.names.get(n.network) ?? new Map<string, string[]>();
        for (const raw of n.names) {
          const name = raw.toLowerCase();
          const list = table.get(name) ?? [];
          if (!list.includes(n.address)) list.push(n.address);
          table.set(name, list);
        }
        this.names.set(n.network, table);
      }
    }
  }

  lookup(name: string, clientIp: string): string[] | undefined {
    const networks = this.clients.get(clientIp);
    if (!networks) return undefined;
    const key = name.toLowerCase().replace(/\.$/, '');
    let found: string[] | undefined;
    for (const net of networks) {
      const hits = this.names.get(net)?.get(key);
      if (hits) found = [...(found ?? []), ...hits.filter((h) => !(found ?? []).includes(h))];
    }
    return found;
  }
}
