/** default-address-pools: the rules of a pool, and networks carved out of the configured pools instead of Docker's. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addressPoolProblem, allocateSubnet, formatCidr, parseCidr, DEFAULT_POOLS } from '../../../../src/network/ipam.js';

describe('address pools', () => {
  it('a pool is a network address and a subnet size between its prefix and /30', () => {
    assert.equal(addressPoolProblem({ base: '10.10.0.0/16', size: 24 }), undefined);
    assert.equal(addressPoolProblem({ base: '10.10.0.0/16', size: 16 }), undefined);
    assert.equal(addressPoolProblem({ base: '10.10.0.0/16', size: 30 }), undefined);
    assert.equal(addressPoolProblem({ base: '10.10.0.0/16', size: 31 }), "size must be a prefix length from 16 (the base's) to 30");
    assert.equal(addressPoolProblem({ base: '10.10.0.0/16', size: 8 }), "size must be a prefix length from 16 (the base's) to 30");
    assert.equal(addressPoolProblem({ base: '10.10.0.0/16', size: 24.5 }), "size must be a prefix length from 16 (the base's) to 30");
    assert.equal(addressPoolProblem({ base: '10.10.1.0/16', size: 24 }), 'base 10.10.1.0/16 is not a network address (did you mean 10.10.0.0/16?)');
    assert.equal(addressPoolProblem({ base: '10.10.0.0', size: 24 }), 'invalid subnet "10.10.0.0"');
    assert.equal(addressPoolProblem({ base: '300.1.0.0/16', size: 24 }), 'invalid IPv4 address "300.1.0.0"');
    for (const pool of DEFAULT_POOLS) assert.equal(addressPoolProblem(pool), undefined, pool.base);
  });

  it('networks come from the configured pools, in order, skipping what is in use', () => {
    const pools = [
      { base: '10.10.0.0/23', size: 24 },
      { base: '10.20.0.0/16', size: 20 },
    ];
    assert.equal(formatCidr(allocateSubnet([], pools)), '10.10.0.0/24');
    assert.equal(formatCidr(allocateSubnet([parseCidr('10.10.0.0/24')], pools)), '10.10.1.0/24');
    assert.equal(formatCidr(allocateSubnet([parseCidr('10.10.0.0/23')], pools)), '10.20.0.0/20');
    // Something on the host inside the pool (a route, a VPN) is skipped, as Docker's own pools skip it.
    assert.equal(formatCidr(allocateSubnet([parseCidr('10.10.0.0/23'), parseCidr('10.20.3.0/24')], pools)), '10.20.16.0/20');
    assert.throws(() => allocateSubnet([parseCidr('10.0.0.0/8')], pools), /all predefined address pools have been fully subnetted/);
  });
});
