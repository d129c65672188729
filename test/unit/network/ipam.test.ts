import { it } from 'node:test';
import assert from 'node:assert/strict';
import { allocateAddress, allocateSubnet, formatCidr, newSubnetState, parseCidr, releaseAddresses, IpamError } from '../../../src/network/ipam.js';

it('picks the first pool subnet that overlaps nothing on the host', () => {
  assert.equal(formatCidr(allocateSubnet([])), '172.17.0.0/16');
  const inUse = ['172.17.0.0/16', '172.18.5.0/24', '10.0.0.0/8'].map(parseCidr);
  assert.equal(formatCidr(allocateSubnet(inUse)), '172.19.0.0/16');
  const full = [parseCidr('172.16.0.0/12')];
  assert.equal(formatCidr(allocateSubnet(full)), '192.168.0.0/20');
  assert.throws(() => allocateSubnet([parseCidr('0.0.0.0/0')]), IpamError);
});

it('hands out addresses after the gateway, never twice, honouring ipv4_address and ip_range', () => {
  const s = newSubnetState(parseCidr('10.9.0.0/29'));
  assert.equal(s.gateway, '10.9.0.1');
  assert.equal(allocateAddress(s, 'a'), '10.9.0.2');
  assert.equal(allocateAddress(s, 'b', '10.9.0.5'), '10.9.0.5');
  assert.equal(allocateAddress(s, 'c'), '10.9.0.3');
  assert.throws(() => allocateAddress(s, 'd', '10.9.0.5'), /already in use/);
  assert.throws(() => allocateAddress(s, 'd', '10.9.0.7'), /not a usable address/);
  assert.throws(() => allocateAddress(s, 'd', '10.9.0.1'), /gateway/);
  assert.equal(allocateAddress(s, 'd'), '10.9.0.4');
  assert.equal(allocateAddress(s, 'e'), '10.9.0.6');
  assert.throws(() => allocateAddress(s, 'f'), /no free address/);
  releaseAddresses(s, 'a');
  assert.equal(allocateAddress(s, 'f'), '10.9.0.2');

  const ranged = newSubnetState(parseCidr('10.1.0.0/16'), { ipRange: '10.1.5.0/24', gateway: '10.1.0.254' });
  assert.equal(allocateAddress(ranged, 'x'), '10.1.5.0');
  assert.throws(() => newSubnetState(parseCidr('10.1.0.0/16'), { gateway: '10.2.0.1' }), /not in subnet/);
});

it('a released address is not reused at once (cursor moves on)', () => {
  const s = newSubnetState(parseCidr('10.8.0.0/24'));
  const first = allocateAddress(s, 'a');
  releaseAddresses(s, 'a');
  assert.notEqual(allocateAddress(s, 'b'), first);
});
