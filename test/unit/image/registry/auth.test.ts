import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseChallenges } from '../../../../src/image/registry/challenge.js';
import { CredentialStore } from '../../../../src/image/registry/credentials.js';
import { RegistryClient } from '../../../../src/image/registry/client.js';

it('parses bearer and basic challenges', () => {
  const c = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/redis:pull", Basic realm="x y"');
  assert.deepEqual(c, [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/redis:pull' } },
    { scheme: 'basic', params: { realm: 'x y' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
});

it('reads, writes and removes credentials in docker config.json form', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-creds-'));
  try {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('me:pw:with:colons').toString('base64') } }, other: 1 }));
    const store = new CredentialStore(file);
    assert.deepEqual(store.get('docker.io'), { username: 'me', password: 'pw:with:colons' });
    assert.equal(store.get('ghcr.io'), undefined);
    store.set('localhost:5000', { username: 'u', password: 'p' });
    assert.deepEqual(store.get('localhost:5000'), { username: 'u', password: 'p' });
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).other, 1, 'other settings kept');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(store.remove('localhost:5000'), true);
    assert.equal(store.get('localhost:5000'), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('uses HTTP only for loopback and insecure registries; mirrors come before Docker Hub', () => {
  const client = new RegistryClient({ insecureRegistries: ['reg.lan:5000'], mirrors: ['http://127.0.0.1:5001', 'mirror.example'] });
  assert.deepEqual(client.endpoints('localhost:5000').map((e) => e.base), ['http://localhost:5000']);
  assert.deepEqual(client.endpoints('127.0.0.1:5000').map((e) => e.base), ['http://127.0.0.1:5000']);
  assert.deepEqual(client.endpoints('reg.lan:5000').map((e) => e.base), ['http://reg.lan:5000']);
  assert.deepEqual(client.endpoints('ghcr.io').map((e) => e.base), ['https://ghcr.io']);
  assert.deepEqual(client.endpoints('docker.io').map((e) => e.base), ['http://127.0.0.1:5001', 'https://mirror.example', 'https://registry-1.docker.io']);
});
