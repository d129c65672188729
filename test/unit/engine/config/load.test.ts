/**
 * engine.json read and checked: which file, every key's rules, errors with
 * file:line:col and key path (one per problem), environment overrides over
 * the file over the defaults.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEngineSettings, problemLines } from '../../../../src/engine/config/load.js';
import type { LoadedSettings } from '../../../../src/engine/config/load.js';
import { engineConfigPath, DEFAULT_ENGINE_CONFIG } from '../../../../src/engine/config/environment.js';
import { DEFAULT_POOLS } from '../../../../src/network/ipam.js';

let root: string;
const RESOLV = 'nameserver 127.0.0.53\nnameserver 10.0.0.2\n';

function write(text: string): string {
  const file = path.join(root, 'engine.json');
  fs.writeFileSync(file, text);
  return file;
}

function load(env: Record<string, string> = {}): LoadedSettings {
  return loadEngineSettings({ env: { TSC_COMPOSE_ROOT: root, ...env }, resolvConf: RESOLV });
}

/** The printed lines of the error loading `text` throws. */
function problems(text: string, env: Record<string, string> = {}): string[] {
  write(text);
  try {
    load(env);
  } catch (err) {
    return problemLines(err).map((l) => l.replace(`${root}/`, ''));
  }
  assert.fail(`accepted: ${text}`);
}

function sources(loaded: LoadedSettings): Record<string, string> {
  return Object.fromEntries(loaded.report.entries.map((e) => [e.name, e.source]));
}

describe('engine configuration file', () => {
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-engine-config-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('is /etc/tsc-compose/engine.json, $TSC_COMPOSE_ROOT/engine.json for a moved root, or what TSC_COMPOSE_ENGINE_CONFIG names', () => {
    assert.equal(engineConfigPath({}), DEFAULT_ENGINE_CONFIG);
    assert.equal(DEFAULT_ENGINE_CONFIG, '/etc/tsc-compose/engine.json');
    assert.equal(engineConfigPath({ TSC_COMPOSE_ROOT: '/tmp/t1' }), '/tmp/t1/engine.json');
    assert.equal(engineConfigPath({ TSC_COMPOSE_ROOT: '/tmp/t1', TSC_COMPOSE_ENGINE_CONFIG: '/srv/e.json' }), '/srv/e.json');
    assert.equal(engineConfigPath({ TSC_COMPOSE_RUN_ROOT: '/tmp/run' }), DEFAULT_ENGINE_CONFIG);
  });

  it('absent, every setting has its default', () => {
    fs.rmSync(path.join(root, 'engine.json'), { force: true });
    const loaded = load();
    assert.equal(loaded.report.fileFound, false);
    assert.deepEqual(loaded.settings, {
      registryMirrors: [],
      insecureRegistries: [],
      certsDir: '/etc/docker/certs.d',
      dockerHubEndpoint: undefined,
      dnsServers: ['10.0.0.2'],
      dnsPort: 53,
      addressPools: DEFAULT_POOLS,
      logDefaults: { maxSize: undefined, maxFiles: undefined },
    });
    assert.ok(loaded.report.entries.every((e) => e.source === 'default'));
    assert.deepEqual(loaded.report.entries.find((e) => e.name === 'dns'), { name: 'dns', value: ['10.0.0.2'], source: 'default', origin: "the host's /etc/resolv.conf", variable: 'TSC_COMPOSE_DNS_UPSTREAMS', inFile: true });
  });

  it('named by TSC_COMPOSE_ENGINE_CONFIG, it must exist', () => {
    assert.throws(() => load({ TSC_COMPOSE_ENGINE_CONFIG: path.join(root, 'nothere.json') }), /nothere\.json \(named by TSC_COMPOSE_ENGINE_CONFIG\) does not exist/);
  });

  it('every key, as Docker writes them', () => {
    write(
      JSON.stringify({
        'registry-mirrors': ['http://127.0.0.1:5000', 'https://mirror.example.com/'],
        'insecure-registries': ['registry.lan:5000', 'build-box', '[fd00::1]:5000'],
        'certs-dir': '/etc/tsc-compose/certs.d',
        dns: ['10.1.1.1', '10.1.1.2:5353', 'fd00::53'],
        'default-address-pools': [{ base: '10.10.0.0/16', size: 24 }],
        'log-opts': { 'max-size': '10m', 'max-file': '3' },
      }),
    );
    const loaded = load();
    assert.equal(loaded.report.fileFound, true);
    assert.deepEqual(loaded.settings, {
      registryMirrors: ['http://127.0.0.1:5000', 'https://mirror.example.com/'],
      insecureRegistries: ['registry.lan:5000', 'build-box', '[fd00::1]:5000'],
      certsDir: '/etc/tsc-compose/certs.d',
      dockerHubEndpoint: undefined,
      dnsServers: ['10.1.1.1', '10.1.1.2:5353', 'fd00::53'],
      dnsPort: 53,
      addressPools: [{ base: '10.10.0.0/16', size: 24 }],
      logDefaults: { maxSize: 10 * 1024 * 1024, maxFiles: 3 },
    });
    assert.deepEqual(sources(loaded), {
      'registry-mirrors': 'file',
      'insecure-registries': 'file',
      'certs-dir': 'file',
      dns: 'file',
      'default-address-pools': 'file',
      'log-opts': 'file',
      'docker-hub-endpoint': 'default',
      'dns-port': 'default',
    });
  });

  it('problems name file:line:col and key path, one line each, in file order', () => {
    const text = [
      '{',
      '  "registry-mirror": ["http://127.0.0.1:5000"],',
      '  "registry-mirrors": ["127.0.0.1:5000", "ftp://x", "http://u:p@host", "http://host/v2/"],',
      '  "insecure-registries": ["http://x", "10.0.0.0/8", "bad host"],',
      '  "certs-dir": "relative/dir",',
      '  "dns": ["8.8.8.8", "dns.google", 5, "1.1.1.1:99999"],',
      '  "default-address-pools": [{"base": "10.10.0.1/16", "size": 24}, {"base": "10.11.0.0/16", "size": 8}, {"base": "10.12.0.0/16"}, "x"],',
      '  "log-opts": {"max-size": "lots", "max-file": 3, "compress": "true"},',
      '  "userns-remap": "default"',
      '}',
    ].join('\n');
    assert.deepEqual(problems(text), [
      'engine.json:2:3 registry-mirror: unknown key "registry-mirror" (did you mean "registry-mirrors"?)',
      'engine.json:3:24 registry-mirrors.0: "127.0.0.1:5000" is not a URL (write it as http://host:port or https://host)',
      'engine.json:3:42 registry-mirrors.1: "ftp://x" must be an http:// or https:// URL',
      "engine.json:3:53 registry-mirrors.2: \"http://u:p@host\" must not carry credentials (use 'tsc-compose login')",
      'engine.json:3:72 registry-mirrors.3: "http://host/v2/" must name only the registry (scheme, host, port), no path',
      'engine.json:4:27 insecure-registries.0: "http://x" must be a registry host or host:port, without a scheme',
      'engine.json:4:39 insecure-registries.1: "10.0.0.0/8": address ranges (CIDR) are not supported yet; name each registry as host or host:port',
      'engine.json:4:53 insecure-registries.2: "bad host" must be a registry host or host:port',
      'engine.json:5:3 certs-dir: "relative/dir" must be an absolute path',
      'engine.json:6:22 dns.1: "dns.google" must be an IP address, optionally with :port',
      'engine.json:6:36 dns.2: must be a string (DNS server address)',
      'engine.json:6:39 dns.3: "1.1.1.1:99999": the port must be from 1 to 65535',
      'engine.json:7:30 default-address-pools.0.base: base 10.10.0.1/16 is not a network address (did you mean 10.10.0.0/16?)',
      'engine.json:7:92 default-address-pools.1.size: size must be a prefix length from 16 (the base\'s) to 30',
      'engine.json:7:104 default-address-pools.2.size: is missing; it must be a number, the prefix length of each network (e.g. 24)',
      'engine.json:7:130 default-address-pools.3: must be an object {"base": "10.10.0.0/16", "size": 24}',
      'engine.json:8:16 log-opts.max-size: "lots" must be a size such as "10m" or "1g"',
      'engine.json:8:36 log-opts.max-file: must be a string such as "3"',
      'engine.json:8:51 log-opts.compress: unknown key "compress" (known keys: max-size, max-file)',
      'engine.json:9:3 userns-remap: is not supported yet (containers do not run in user namespaces): remove the key',
    ]);
  });

  it('userns-remap alone is refused, never ignored', () => {
    assert.deepEqual(problems('{"userns-remap": "default"}'), ['engine.json:1:2 userns-remap: is not supported yet (containers do not run in user namespaces): remove the key']);
  });

  it('smaller rules: not an object, an empty pool list, max-file without max-size', () => {
    assert.deepEqual(problems('["registry-mirrors"]'), ['engine.json:1:1 the engine configuration must be a JSON object, e.g. {"registry-mirrors": ["http://127.0.0.1:5000"]}']);
    assert.deepEqual(problems('{"default-address-pools": []}'), ['engine.json:1:2 default-address-pools: must list at least one pool (leave the key out for the default pools)']);
    assert.deepEqual(problems('{"log-opts": {"max-file": "3"}}'), ['engine.json:1:15 log-opts.max-file: max-file needs max-size (logs are rotated by size)']);
    assert.deepEqual(problems('{"registry-mirrors": "http://127.0.0.1:5000"}'), ['engine.json:1:2 registry-mirrors: must be a list of registry URLs']);
    assert.deepEqual(problems('{"mirrors": []}'), ['engine.json:1:2 mirrors: unknown key "mirrors" (known keys: registry-mirrors, insecure-registries, certs-dir, dns, default-address-pools, log-opts, userns-remap)']);
  });

  it('an environment variable overrides the file, and says so', () => {
    write('{"registry-mirrors": ["http://127.0.0.1:5000"], "dns": ["10.1.1.1"], "certs-dir": "/etc/x"}');
    const loaded = load({ TSC_COMPOSE_REGISTRY_MIRRORS: 'http://127.0.0.1:6000, http://127.0.0.1:6001', TSC_COMPOSE_DNS_UPSTREAMS: '', TSC_COMPOSE_CERTS_DIR: '', TSC_COMPOSE_DOCKER_HUB_ENDPOINT: 'http://127.0.0.1:7000', TSC_COMPOSE_DNS_PORT: '5353' });
    assert.deepEqual(loaded.settings.registryMirrors, ['http://127.0.0.1:6000', 'http://127.0.0.1:6001']);
    // A list variable set but empty is an empty list; an empty single value counts as unset.
    assert.deepEqual(loaded.settings.dnsServers, []);
    assert.equal(loaded.settings.certsDir, '/etc/x');
    assert.equal(loaded.settings.dockerHubEndpoint, 'http://127.0.0.1:7000');
    assert.equal(loaded.settings.dnsPort, 5353);
    assert.deepEqual(sources(loaded), {
      'registry-mirrors': 'environment',
      'insecure-registries': 'default',
      'certs-dir': 'file',
      dns: 'environment',
      'default-address-pools': 'default',
      'log-opts': 'default',
      'docker-hub-endpoint': 'environment',
      'dns-port': 'environment',
    });
    assert.equal(loaded.report.entries.find((e) => e.name === 'registry-mirrors')?.origin, 'TSC_COMPOSE_REGISTRY_MIRRORS');
  });

  it('an override variable is held to the same rules, and named', () => {
    write('{}');
    assert.throws(() => load({ TSC_COMPOSE_REGISTRY_MIRRORS: '127.0.0.1:5000' }), (err: Error) => {
      assert.deepEqual(problemLines(err), ['TSC_COMPOSE_REGISTRY_MIRRORS: "127.0.0.1:5000" is not a URL (write it as http://host:port or https://host)']);
      return true;
    });
    assert.throws(() => load({ TSC_COMPOSE_DNS_PORT: 'fifty', TSC_COMPOSE_INSECURE_REGISTRIES: 'a,http://b' }), (err: Error) => {
      assert.deepEqual(problemLines(err), ['TSC_COMPOSE_INSECURE_REGISTRIES: "http://b" must be a registry host or host:port, without a scheme', 'TSC_COMPOSE_DNS_PORT: "fifty" must be a port number from 1 to 65535']);
      return true;
    });
  });

  it('an unreadable file is one line naming it', () => {
    const dir = path.join(root, 'as-dir');
    fs.mkdirSync(dir, { recursive: true });
    assert.throws(() => load({ TSC_COMPOSE_ENGINE_CONFIG: dir }), (err: Error) => {
      const lines = problemLines(err);
      assert.equal(lines.length, 1);
      assert.match(lines[0] ?? '', /as-dir/);
      return true;
    });
  });
});
