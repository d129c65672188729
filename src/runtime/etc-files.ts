/**
 * The three files every container gets bind-mounted from its runtime
 * directory: /etc/hostname, /etc/hosts and /etc/resolv.conf, written the way
 * Docker writes them. Pure text builders; the caller writes and mounts them.
 */

export interface HostsInput {
  hostname: string;
  domainname?: string | undefined;
  /** The container's own addresses (one per network); none with network_mode none. */
  addresses: string[];
  /** `extra_hosts`, already resolved (`host-gateway` replaced by an address). */
  extraHosts: Array<{ host: string; ip: string }>;
  /** Aliases other containers should know this one by are served by DNS, not here. */
}

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

export function hostsFile(input: HostsInput): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const { host, ip } of input.extraHosts) lines.push(`${ip}\t${host}`);
  const names = input.domainname ? `${input.hostname}.${input.domainname} ${input.hostname}` : input.hostname;
  for (const ip of input.addresses) lines.push(`${ip}\t${names}`);
  return `${lines.join('\n')}\n`;
}

export interface ResolvInput {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** Reads nameserver/search/options from the host's resolv.conf text. */
export function parseResolvConf(text: string): ResolvInput {
  const out: ResolvInput = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === 'nameserver' && values[0]) out.nameservers.push(values[0]);
    else if (key === 'search' || key === 'domain') out.search = values;
    else if (key === 'options') out.options.push(...values);
  }
  return out;
}

export function isLoopbackNameserver(ns: string): boolean {
  return ns.startsWith('127.') || ns === '::1';
}

export function resolvConfFile(input: ResolvInput): string {
  const lines: string[] = [];
  if (input.search.length > 0) lines.push(`search ${input.search.join(' ')}`);
  for (const ns of input.nameservers) lines.push(`nameserver ${ns}`);
  if (input.options.length > 0) lines.push(`options ${input.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The resolv.conf for a container that cannot use the host's loopback
 * resolvers (its own network namespace): loopback nameservers are dropped and,
 * when none is left, Google's public resolvers are used as Docker does.
 * Overrides (`dns`, `dns_search`, `dns_opt`) replace the host's values.
 */
export function containerResolvConf(host: ResolvInput, overrides: { dns?: string[]; dnsSearch?: string[]; dnsOptions?: string[] }, sharesHostNetwork: boolean): string {
  let nameservers = overrides.dns && overrides.dns.length > 0 ? overrides.dns : host.nameservers;
  if (!sharesHostNetwork) {
    nameservers = nameservers.filter((ns) => !isLoopbackNameserver(ns));
    if (nameservers.length === 0) nameservers = ['8.8.8.8', '8.8.4.4'];
  }
  return resolvConfFile({
    nameservers,
    search: overrides.dnsSearch && overrides.dnsSearch.length > 0 ? overrides.dnsSearch : host.search,
    options: overrides.dnsOptions && overrides.dnsOptions.length > 0 ? overrides.dnsOptions : host.options,
  });
}
