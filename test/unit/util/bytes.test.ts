/** Byte sizes as compose-go's UnitBytes reads them (integers, or docker/go-units RAMInBytes). */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { invalidSizeMessage, parseBytes } from '../../../src/util/bytes.js';

it('reads binary multiples, case-insensitive, with optional i and b', () => {
  assert.equal(parseBytes('512m'), 512 * 1024 ** 2);
  assert.equal(parseBytes('512M'), 512 * 1024 ** 2);
  assert.equal(parseBytes('1g'), 1024 ** 3);
  assert.equal(parseBytes('1GB'), 1024 ** 3);
  assert.equal(parseBytes('1GiB'), 1024 ** 3);
  assert.equal(parseBytes('1.5GB'), 1_610_612_736);
  assert.equal(parseBytes('100kb'), 102_400);
  assert.equal(parseBytes('0.5k'), 512);
  assert.equal(parseBytes('1t'), 1024 ** 4);
  assert.equal(parseBytes('2p'), 2 * 1024 ** 5);
  assert.equal(parseBytes('64b'), 64);
  assert.equal(parseBytes('64B'), 64);
  assert.equal(parseBytes('10 m'), 10 * 1024 ** 2);
  assert.equal(parseBytes('1.7b'), 1);
});

it('takes plain integers, negative ones too (memswap_limit: -1)', () => {
  assert.equal(parseBytes('100'), 100);
  assert.equal(parseBytes('-1'), -1);
  assert.equal(parseBytes('+5'), 5);
  assert.equal(parseBytes(1024), 1024);
  assert.equal(parseBytes(-1), -1);
  assert.equal(parseBytes(1.9), 1);
});

it('refuses what go-units refuses', () => {
  for (const bad of ['', 'm', '12x', '1.2.3m', '10  m', ' 10m', '10m ', '-1m', '1e3', 'ten']) {
    assert.equal(parseBytes(bad), undefined, bad);
  }
  assert.equal(parseBytes(Number.POSITIVE_INFINITY), undefined);
  assert.equal(invalidSizeMessage('12x'), "invalid size: '12x'");
});
