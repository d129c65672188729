import { it } from 'node:test';
import assert from 'node:assert/strict';
import { familiarReference, formatReference, parseReference, InvalidReferenceError } from '../../../src/image/reference.js';

const D = 'sha256:' + 'a'.repeat(64);

it('normalizes like Docker', () => {
  const cases: Array<[string, string]> = [
    ['redis', 'docker.io/library/redis:latest'],
    ['redis:7', 'docker.io/library/redis:7'],
    ['user/app', 'docker.io/user/app:latest'],
    ['docker.io/redis', 'docker.io/library/redis:latest'],
    ['index.docker.io/library/redis:7', 'docker.io/library/redis:7'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app:1.0', 'localhost:5000/app:1.0'],
    ['127.0.0.1:5000/a/b/c:t', '127.0.0.1:5000/a/b/c:t'],
    ['ghcr.io/owner/repo:v1.2.3', 'ghcr.io/owner/repo:v1.2.3'],
    [`redis@${D}`, `docker.io/library/redis@${D}`],
    [`redis:7@${D}`, `docker.io/library/redis:7@${D}`],
    ['[::1]:5000/app', '[::1]:5000/app:latest'],
    ['my_org/my-app__x', 'docker.io/my_org/my-app__x:latest'],
  ];
  for (const [input, expected] of cases) assert.equal(formatReference(parseReference(input)), expected, input);
});

it('familiar form drops docker.io/library', () => {
  assert.equal(familiarReference(parseReference('redis')), 'redis:latest');
  assert.equal(familiarReference(parseReference('user/app:1')), 'user/app:1');
  assert.equal(familiarReference(parseReference('localhost:5000/app')), 'localhost:5000/app:latest');
});

it('rejects bad references with a clear error', () => {
  for (const bad of ['', 'Redis', 'user/App', 'redis:', ':tag', 'a//b', 'redis@sha256:abc', 'redis:t@g', '-x', 'x-', 'host:port/app', `r:${'t'.repeat(129)}`]) {
    assert.throws(() => parseReference(bad), InvalidReferenceError, bad);
  }
  assert.throws(() => parseReference('Redis'), /invalid reference format "Redis"/);
});
