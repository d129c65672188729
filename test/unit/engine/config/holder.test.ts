/** Reloading: a good file replaces the settings and says what changed; a bad one changes nothing and is remembered. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineSettingsHolder } from '../../../../src/engine/config/holder.js';
import { loadEngineSettings, problemLines } from '../../../../src/engine/config/load.js';
import type { EngineSettings } from '../../../../src/engine/config/settings.js';

let root: string;
const write = (text: string): void => fs.writeFileSync(path.join(root, 'engine.json'), text);
/** Matches an error whose printed lines match `pattern`. */
const printed = (pattern: RegExp) => (err: unknown): boolean => problemLines(err).some((line) => pattern.test(line));
const load = () => loadEngineSettings({ env: { TSC_COMPOSE_ROOT: root }, resolvConf: 'nameserver 10.0.0.2\n' });

describe('engine settings across reloads', () => {
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-engine-holder-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('a bad file at start is thrown (the engine does not start)', () => {
    write('{"registry-mirrors": ["nope"]}');
    assert.throws(() => new EngineSettingsHolder(load), printed(/engine\.json:1:23 registry-mirrors\.0: "nope" is not a URL/));
  });

  it('reload: a bad file keeps the settings in force and is reported; a good one replaces them', () => {
    write('{"registry-mirrors": ["http://127.0.0.1:5000"]}');
    const applied: EngineSettings[] = [];
    const holder = new EngineSettingsHolder(load, (s) => applied.push(s));
    const first = holder.current;
    assert.deepEqual(first.registryMirrors, ['http://127.0.0.1:5000']);

    write('{"registry-mirrors": ["http://127.0.0.1:6000"], "dns": [1]}');
    assert.throws(() => holder.reload(), printed(/dns\.0: must be a string/));
    assert.equal(holder.current, first);
    assert.deepEqual(applied, []);
    const refused = holder.report().lastReloadError;
    assert.ok(refused);
    assert.deepEqual(refused.problems, [`${path.join(root, 'engine.json')}:1:57 dns.0: must be a string (DNS server address)`]);

    write('{"registry-mirrors": ["http://127.0.0.1:6000"], "dns": ["10.9.9.9"]}');
    const result = holder.reload();
    assert.deepEqual(result.changed, ['registry-mirrors', 'dns']);
    assert.deepEqual(holder.current.registryMirrors, ['http://127.0.0.1:6000']);
    assert.deepEqual(holder.current.dnsServers, ['10.9.9.9']);
    assert.equal(holder.report().lastReloadError, undefined);
    assert.deepEqual(applied, [holder.current]);

    assert.deepEqual(holder.reload().changed, []);
  });

  it('removing the file goes back to the defaults', () => {
    write('{"log-opts": {"max-size": "1m"}}');
    const holder = new EngineSettingsHolder(load);
    assert.equal(holder.current.logDefaults.maxSize, 1024 * 1024);
    fs.rmSync(path.join(root, 'engine.json'));
    assert.deepEqual(holder.reload().changed, ['log-opts']);
    assert.deepEqual(holder.current.logDefaults, { maxSize: undefined, maxFiles: undefined });
    assert.equal(holder.report().fileFound, false);
  });
});
