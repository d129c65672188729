/** build: a string is the context; the long form gets compose-go's defaults; its maps, lists and ssh entries typed. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalError, service } from '../../../support/canonical.js';

describe('build', () => {
  it('a string is the context, with the default Dockerfile', () => {
    assert.deepEqual(service('services:\n  web:\n    build: ./app\n').build, { context: './app', dockerfile: 'Dockerfile' });
  });

  it('the long form keeps its keys and gets the same defaults, unless dockerfile_inline', () => {
    assert.deepEqual(service('services:\n  web:\n    build: {target: dev}\n').build, { target: 'dev', context: '.', dockerfile: 'Dockerfile' });
    assert.deepEqual(service('services:\n  web:\n    build: {dockerfile_inline: "FROM x"}\n').build, { dockerfile_inline: 'FROM x', context: '.' });
  });

  it('labels, additional_contexts, ssh, secrets, extra_hosts, sizes, flags, provenance', () => {
    const yaml = `services:
  web:
    build:
      context: .
      labels: [a=1]
      additional_contexts: ["base=docker-image://alpine"]
      ssh: [default, "key=/k"]
      secrets: [token, {source: other, target: /t, mode: "0400"}]
      extra_hosts: ["h:1.2.3.4"]
      shm_size: 1g
      no_cache: "true"
      pull: false
      provenance: true
      ulimits: {nofile: 10}
      tags: [a:1]
`;
    assert.deepEqual(service(yaml).build, {
      context: '.',
      labels: { a: '1' },
      additional_contexts: { base: 'docker-image://alpine' },
      ssh: ['default', 'key=/k'],
      secrets: [{ source: 'token' }, { source: 'other', target: '/t', mode: 0o400 }],
      extra_hosts: ['h=1.2.3.4'],
      shm_size: 1024 ** 3,
      no_cache: true,
      provenance: 'true',
      ulimits: { nofile: { soft: 10, hard: 10 } },
      tags: ['a:1'],
      dockerfile: 'Dockerfile',
    });
    assert.deepEqual(service('services:\n  web:\n    build: {context: ., ssh: {default: null, k: /key}}\n').build?.ssh, ['default', 'k=/key']);
  });

  it('an additional context without = and an ssh key without path are refused', () => {
    assert.equal(canonicalError('services:\n  web:\n    build: {context: ., additional_contexts: [nope]}\n').message, 'services.web.build.additional_contexts.0 invalid value nope, expected key=value');
    assert.equal(canonicalError('services:\n  web:\n    build: {context: ., ssh: [mykey]}\n').message, 'services.web.build.ssh.0 invalid ssh key "mykey"');
  });
});
