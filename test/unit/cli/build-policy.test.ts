/** --no-build: a build-only service runs `<project>-<service>` when that image is here. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withoutBuilds } from '../../../src/cli/build-policy.js';
import type { ProjectRef } from '../../../src/engine/api/protocol.js';
import { TscComposeError } from '../../../src/errors/index.js';

const ref = {
  project: {
    name: 'shop',
    services: {
      app: { build: { context: '/src' }, depends_on: { db: { condition: 'service_started', required: true } } },
      db: { image: 'postgres:16', build: { context: '/db' } },
      tool: { build: { context: '/tool' } },
    },
  },
  workingDir: '/src',
  configFiles: [],
} as unknown as ProjectRef;

describe('--no-build', () => {
  it('build-only services get the built image name and are never pulled; a service with image: is left alone', () => {
    const out = withoutBuilds(ref, [], false, () => true);
    assert.equal(out.project.services['app']?.image, 'shop-app');
    assert.equal(out.project.services['app']?.pull_policy, 'never');
    assert.equal(out.project.services['db']?.image, 'postgres:16');
    assert.equal(out.project.services['db']?.pull_policy, undefined);
    assert.equal(ref.project.services['app']?.image, undefined, 'the loaded project is not changed');
  });

  it('an image a needed service lacks is an error naming it; services up does not need are not checked', () => {
    const have = new Set(['shop-app']);
    assert.throws(
      () => withoutBuilds(ref, [], false, (i) => have.has(i)),
      (err: unknown) => err instanceof TscComposeError && err.code === 'TSC_IMAGE_NOT_FOUND' && /service "tool" .* "shop-tool", which is not here/.test(err.message),
    );
    assert.equal(withoutBuilds(ref, ['app'], false, (i) => have.has(i)).project.services['tool']?.image, 'shop-tool');
  });
});
