import { it } from 'node:test';
import assert from 'node:assert/strict';
import { containerResolvConf, hostsFile, parseResolvConf } from '../../../src/runtime/etc-files.js';

it('hosts has localhost, extra hosts and the container itself', () => {
  const text = hostsFile({ hostname: 'web', domainname: 'example.test', addresses: ['172.17.0.2'], extraHosts: [{ host: 'host.docker.internal', ip: '172.17.0.1' }] });
  assert.match(text, /^127\.0\.0\.1\tlocalhost\n/);
  assert.match(text, /172\.17\.0\.1\thost\.docker\.internal\n/);
  assert.match(text, /172\.17\.0\.2\tweb\.example\.test web\n$/);
});

it('resolv.conf drops loopback resolvers in a private network namespace and honours overrides', () => {
  const host = parseResolvConf('# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0 trust-ad\n');
  assert.deepEqual(host, { nameservers: ['127.0.0.53', '10.0.0.2'], search: ['corp.example'], options: ['edns0', 'trust-ad'] });
  assert.equal(containerResolvConf(host, {}, false), 'search corp.example\nnameserver 10.0.0.2\noptions edns0 trust-ad\n');
  assert.equal(containerResolvConf(host, {}, true), 'search corp.example\nnameserver 127.0.0.53\nnameserver 10.0.0.2\noptions edns0 trust-ad\n');
  assert.equal(containerResolvConf(parseResolvConf('nameserver 127.0.0.1\n'), {}, false), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  assert.equal(containerResolvConf(host, { dns: ['1.1.1.1'], dnsSearch: ['a.b'], dnsOptions: ['ndots:2'] }, false), 'search a.b\nnameserver 1.1.1.1\noptions ndots:2\n');
});

import { checkSysctls } from '../../../src/engine/service-container.js';

it('only namespaced sysctls are allowed', () => {
  assert.deepEqual(checkSysctls({ 'net.core.somaxconn': '1024', 'kernel.shmmax': '1' }, true, 'web'), { 'net.core.somaxconn': '1024', 'kernel.shmmax': '1' });
  assert.throws(() => checkSysctls({ 'net.core.somaxconn': '1' }, false, 'web'), /shares the host network/);
  assert.throws(() => checkSysctls({ 'vm.swappiness': '1' }, true, 'web'), /sysctl "vm.swappiness" is not in a separate kernel namespace/);
});
