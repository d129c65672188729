/**
 * Project networks as the engine keeps them: a record per network (bridge
 * name, subnet, the address book), the bridge on the host (NetworkHost), and
 * the embedded DNS server listening on every gateway. Addresses are handed
 * out and released here and persisted before they are used, so an engine
 * restart never hands one out twice.
 */
import { createHash } from 'node:crypto';
import { TscComposeError } from '../errors/index.js';
import type { NetworkConfig, Project, ServiceConfig } from '../compose/model.js';
import { allocateAddress, allocateSubnet, newSubnetState, parseCidr, releaseAddresses } from '../network/ipam.js';
import type { Cidr } from '../network/ipam.js';
import { networkConfigHashOf } from '../plan/network-hash.js';
import type { EngineStore, NetworkAttachmentRecord, NetworkRecord } from './state/store.js';
import type { NetworkHost } from '../network/host/index.js';
import type { DnsRecords } from '../network/dns/records.js';
import type { DnsServer } from '../network/dns/server.js';
import type { EngineSettings } from './config/settings.js';

const MTU_OPTION = 'com.docker.network.driver.mtu';
const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

export function bridgeNameFor(networkName: string, config: NetworkConfig | undefined): string {
  const wanted = config?.driver_opts?.[BRIDGE_NAME_OPTION];
  if (wanted) {
    if (wanted.length > 15) throw new TscComposeError('TSC_NETWORK_INVALID', `bridge name "${wanted}" is longer than 15 characters`);
    return wanted;
  }
  return `tscbr-${shortHash(networkName, 8)}`;
}

/** The same hash the planner compares (a changed network is recreated). */
export const networkConfigHash = networkConfigHashOf;

export interface ServiceNetworkChoice {
  key: string;
  network: string;
  ipv4Address?: string | undefined;
  aliases: string[];
  interfaceName?: string | undefined;
  macAddress?: string | undefined;
  priority: number;
}

/** The networks a service joins, in Docker's order: priority (high first), then name. */
export function serviceNetworks(project: Project, service: ServiceConfig): ServiceNetworkChoice[] {
  if (service.network_mode !== undefined && service.network_mode !== 'bridge') return [];
  const out: ServiceNetworkChoice[] = [];
  for (const [key, cfg] of Object.entries(service.networks ?? {})) {
    const declared = project.networks[key];
    if (!declared) throw new TscComposeError('TSC_NETWORK_UNDEFINED', `service refers to undefined network ${key}`);
    out.push({
      key,
      network: declared.name,
      ipv4Address: cfg?.ipv4_address,
      aliases: cfg?.aliases ?? [],
      interfaceName: cfg?.interface_name,
      macAddress: cfg?.mac_address ?? undefined,
      priority: cfg?.priority ?? 0,
    });
  }
  out.sort((a, b) => b.priority - a.priority || a.key.localeCompare(b.key));
  return out;
}

export class ProjectNetworking {
  private readonly dnsListening = new Set<string>();
  /** Subnets are chosen one network at a time: two networks created together must not pick the same free subnet. */
  private creating: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: EngineStore,
    private readonly host: NetworkHost,
    private readonly dns: { server: DnsServer; records: DnsRecords },
    /** The settings in force (address pools, DNS port), read per network: a reload reaches the next one. */
    private readonly settings: () => Pick<EngineSettings, 'addressPools' | 'dnsPort'>,
  ) {}

  /** Creates (or checks) a project network: record, address pool, bridge, DNS listener. */
  async ensureNetwork(project: Project, key: string): Promise<NetworkRecord> {
    const config = project.networks[key];
    if (!config) throw new TscComposeError('TSC_NETWORK_UNDEFINED', `undefined network ${key}`);
    if (config.external === true) {
      const existing = this.store.networks.get(config.name);
      if (!existing) throw new TscComposeError('TSC_NETWORK_EXTERNAL', `network ${config.name} declared as external, but could not be found`);
      await this.bringUp(existing);
      return existing;
    }
    const driver = config.driver ?? 'bridge';
    if (driver !== 'bridge') throw new TscComposeError('TSC_NETWORK_DRIVER', `network ${key}: driver "${driver}" is not supported (only bridge)`);
    const hash = networkConfigHash(config);
    const made = this.creating.then(async () => {
      let record = this.store.networks.get(config.name);
      if (!record) {
        record = await this.newRecord(project.name, key, config, hash);
        this.store.networks.put(record.name, record);
      }
      return record;
    });
    this.creating = made.catch(() => undefined);
    const record = await made;
    await this.bringUp(record);
    return record;
  }

  private async newRecord(projectName: string, key: string, config: NetworkConfig, hash: string): Promise<NetworkRecord> {
    const ipamConfig = config.ipam?.config?.[0];
    let subnet: Cidr;
    if (ipamConfig?.subnet) {
      subnet = parseCidr(ipamConfig.subnet);
    } else {
      const inUse = [...(await this.host.usedSubnets()), ...this.store.networks.list().map((n) => n.ipam.subnet)].map((s) => parseCidr(s));
      subnet = allocateSubnet(inUse, this.settings().addressPools);
    }
    const aux = Object.values(ipamConfig?.aux_addresses ?? {});
    const ipam = newSubnetState(subnet, { gateway: ipamConfig?.gateway, ipRange: ipamConfig?.ip_range, auxAddresses: aux });
    const mtuText = config.driver_opts?.[MTU_OPTION];
    return {
      name: config.name,
      project: projectName,
      key,
      bridge: bridgeNameFor(config.name, config),
      internal: config.internal === true,
      external: false,
      configHash: hash,
      labels: { ...(config.labels ?? {}), 'com.docker.compose.project': projectName, 'com.docker.compose.network': key },
      mtu: mtuText ? Number(mtuText) : undefined,
      ipam,
      createdAt: new Date().toISOString(),
    };
  }

  /** The bridge and the DNS listener of a network that has a record (also after a reboot). */
  async bringUp(record: NetworkRecord): Promise<void> {
    await this.host.ensureBridge({ bridge: record.bridge, subnet: record.ipam.subnet, gateway: record.ipam.gateway, internal: record.internal, mtu: record.mtu });
    if (!this.dnsListening.has(record.ipam.gateway)) {
      await this.dns.server.listen(record.ipam.gateway, this.settings().dnsPort);
      this.dnsListening.add(record.ipam.gateway);
    }
  }

  async ensureNetworkByName(name: string): Promise<void> {
    const record = this.store.networks.get(name);
    if (record) await this.bringUp(record);
  }

  async removeNetwork(name: string): Promise<void> {
    const record = this.store.networks.get(name);
    if (!record) return;
    const users = this.store.containers.list().filter((c) => c.networks.some((n) => n.network === name));
    if (users.length > 0) {
      throw new TscComposeError('TSC_NETWORK_IN_USE', `network ${name} is in use by ${users.map((u) => u.name).join(', ')}`);
    }
    if (this.dnsListening.delete(record.ipam.gateway)) await this.dns.server.unlisten(record.ipam.gateway);
    await this.host.removeBridge({ bridge: record.bridge, subnet: record.ipam.subnet, gateway: record.ipam.gateway, internal: record.internal, mtu: record.mtu });
    this.store.networks.delete(name);
  }

  /** Reserves the container's addresses on its networks (persisted before anything uses them). */
  allocate(containerId: string, choices: ServiceNetworkChoice[], dnsNames: string[]): NetworkAttachmentRecord[] {
    const out: NetworkAttachmentRecord[] = [];
    choices.forEach((choice, index) => {
      const record = this.store.networks.get(choice.network);
      if (!record) throw new TscComposeError('TSC_NETWORK_MISSING', `network ${choice.network} not found`);
      const address = allocateAddress(record.ipam, containerId, choice.ipv4Address);
      this.store.networks.put(record.name, record);
      out.push({
        network: record.name,
        key: choice.key,
        ifname: choice.interfaceName ?? `eth${index}`,
        hostIfname: `tscv${containerId.slice(0, 9)}${index.toString(36)}`,
        address,
        prefix: parseCidr(record.ipam.subnet).prefix,
        gateway: record.ipam.gateway,
        mac: choice.macAddress,
        dnsNames: [...new Set([...dnsNames, ...choice.aliases])],
      });
    });
    return out;
  }

  release(containerId: string, attachments: NetworkAttachmentRecord[]): void {
    for (const a of attachments) {
      const record = this.store.networks.get(a.network);
      if (!record) continue;
      releaseAddresses(record.ipam, containerId);
      this.store.networks.put(record.name, record);
    }
  }

  /** A fresh network namespace with a veth into every network; the path goes to the runtime. */
  async plumb(containerId: string, attachments: NetworkAttachmentRecord[]): Promise<string> {
    const sandbox = await this.host.createSandbox(containerId);
    // The default route goes through the first network that has a way out (an internal network has none, as in Docker).
    const routed = attachments.find((a) => this.store.networks.get(a.network)?.internal !== true);
    for (const a of attachments) {
      const record = this.store.networks.get(a.network);
      await this.host.attach(sandbox, { bridge: record?.bridge ?? '', hostIfname: a.hostIfname, ifname: a.ifname, address: a.address, prefix: a.prefix, gateway: a.gateway, mac: a.mac, mtu: record?.mtu, defaultRoute: a === routed });
    }
    return sandbox;
  }

  async unplumb(containerId: string): Promise<void> {
    await this.host.removeSandbox(containerId);
  }

  publishDns(containerId: string, attachments: NetworkAttachmentRecord[]): void {
    if (attachments.length === 0) return;
    this.dns.records.set({ containerId, networks: attachments.map((a) => ({ network: a.network, address: a.address, names: a.dnsNames })) });
  }

  withdrawDns(containerId: string): void {
    this.dns.records.remove(containerId);
  }
}
