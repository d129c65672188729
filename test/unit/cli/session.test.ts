/** runStreamed with --quiet-pull: the pull rows (an image and its layers) never reach the display; the rest does. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { isPullProgress, runStreamed } from '../../../src/cli/session.js';
import type { EngineClient } from '../../../src/cli/engine-client.js';
import type { GlobalOptions } from '../../../src/cli/global-options.js';
import type { StreamMessage } from '../../../src/engine/api/protocol.js';

const messages: StreamMessage[] = [
  { type: 'progress', event: { id: 'Image busybox:1', status: 'working', text: 'Pulling', time: 1 } },
  { type: 'progress', event: { id: 'aaaaaaaaaaaa', parentId: 'Image busybox:1', status: 'working', text: 'Downloading', time: 2 } },
  { type: 'progress', event: { id: 'Image busybox:1', status: 'done', text: 'Pulled', time: 3 } },
  { type: 'progress', event: { id: 'Container demo-web-1', status: 'done', text: 'Started', time: 4 } },
  { type: 'result', value: 'ok' },
];

const fakeClient = {
  async *stream(): AsyncGenerator<StreamMessage> {
    for (const m of messages) yield await Promise.resolve(m);
  },
} as unknown as EngineClient;

const global: GlobalOptions = { files: [], projectName: undefined, projectDirectory: undefined, envFiles: [], profiles: [], ansi: 'never', progress: 'json', dryRun: false };

async function run(hide: boolean): Promise<string[]> {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (c: Buffer) => (text += c.toString()));
  const result = await runStreamed(fakeClient, '/v1/up', {}, global, { stdin: new PassThrough(), stdout: new PassThrough(), stderr }, { title: 'Running', ...(hide ? { hideProgress: isPullProgress } : {}) });
  assert.equal(result, 'ok');
  return text.split('\n').filter(Boolean);
}

describe('runStreamed', () => {
  it('--quiet-pull leaves out the image rows and their layers, keeps the rest', async () => {
    const all = await run(false);
    const quiet = await run(true);
    assert.ok(all.some((l) => l.includes('busybox:1')), 'without it the pull is shown');
    assert.ok(all.some((l) => l.includes('aaaaaaaaaaaa')));
    assert.ok(!quiet.some((l) => l.includes('busybox:1') || l.includes('aaaaaaaaaaaa')), quiet.join('\n'));
    assert.ok(quiet.some((l) => l.includes('demo-web-1')));
  });
});
