/** The CLI's override variables against the running engine's settings: one warning each that does not match. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { settingsMismatches } from '../../../../src/engine/config/mismatch.js';
import { resolveEngineSettings } from '../../../../src/engine/config/settings.js';
import type { EngineConfigFile } from '../../../../src/engine/config/file-schema.js';
import type { SettingsReport } from '../../../../src/engine/config/load.js';

const FILE = '/etc/tsc-compose/engine.json';

function engineReport(config: EngineConfigFile | undefined, engineEnv: NodeJS.ProcessEnv = {}): SettingsReport {
  const { entries } = resolveEngineSettings({ file: FILE, config, env: engineEnv, resolvConf: 'nameserver 10.0.0.2\n' });
  return { file: FILE, fileFound: config !== undefined, loadedAt: '2026-11-22T12:00:00.000Z', entries };
}

describe('settings mismatch warnings', () => {
  it('nothing set here, nothing to say', () => {
    assert.deepEqual(settingsMismatches({}, engineReport({ 'registry-mirrors': ['http://127.0.0.1:5000'] })), []);
  });

  it('the same value as the engine has (spacing aside) is no mismatch', () => {
    const report = engineReport({ 'registry-mirrors': ['http://127.0.0.1:5000', 'http://127.0.0.1:5001'] });
    assert.deepEqual(settingsMismatches({ TSC_COMPOSE_REGISTRY_MIRRORS: 'http://127.0.0.1:5000, http://127.0.0.1:5001' }, report), []);
    assert.deepEqual(settingsMismatches({ TSC_COMPOSE_DNS_UPSTREAMS: '' }, engineReport(undefined, { TSC_COMPOSE_DNS_UPSTREAMS: '' })), []);
  });

  it('a variable the engine does not have: put it in the file (it came from there, or is the default)', () => {
    assert.deepEqual(settingsMismatches({ TSC_COMPOSE_REGISTRY_MIRRORS: 'http://127.0.0.1:5055' }, engineReport({ 'registry-mirrors': ['http://10.0.0.9:5000'] })), [
      `TSC_COMPOSE_REGISTRY_MIRRORS is set here but the running engine uses registry-mirrors ["http://10.0.0.9:5000"] from ${FILE}: put it there and run 'tsc-compose engine reload'`,
    ]);
    assert.deepEqual(settingsMismatches({ TSC_COMPOSE_REGISTRY_MIRRORS: 'http://127.0.0.1:5055' }, engineReport(undefined)), [
      `TSC_COMPOSE_REGISTRY_MIRRORS is set here but the running engine uses registry-mirrors [] (default): put it in ${FILE} and run 'tsc-compose engine reload'`,
    ]);
  });

  it("the engine's own variable, or a setting that only a variable sets: restart it", () => {
    assert.deepEqual(settingsMismatches({ TSC_COMPOSE_INSECURE_REGISTRIES: 'a:5000' }, engineReport(undefined, { TSC_COMPOSE_INSECURE_REGISTRIES: 'b:5000' })), [
      "TSC_COMPOSE_INSECURE_REGISTRIES is set here but the running engine uses insecure-registries [\"b:5000\"] from its own environment (TSC_COMPOSE_INSECURE_REGISTRIES): the engine reads TSC_COMPOSE_INSECURE_REGISTRIES only at start: restart it with the variable set ('tsc-compose engine stop', then any command)",
    ]);
    assert.deepEqual(settingsMismatches({ TSC_COMPOSE_DNS_PORT: '5353', TSC_COMPOSE_DOCKER_HUB_ENDPOINT: '' }, engineReport(undefined)), [
      "TSC_COMPOSE_DNS_PORT is set here but the running engine uses dns-port 53 (default): the engine reads TSC_COMPOSE_DNS_PORT only at start: restart it with the variable set ('tsc-compose engine stop', then any command)",
    ]);
  });
});
