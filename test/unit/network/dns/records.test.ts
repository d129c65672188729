import { it } from 'node:test';
import assert from 'node:assert/strict';
import { DnsRecords } from '../../../../src/network/dns/records.js';

const id = (c: string): string => c.repeat(64).slice(0, 64);

/** front on net a and b, web1/web2 replicas on a, db on b only, cache on c only. */
function project(): DnsRecords {
  const r = new DnsRecords({ localDomains: ['proj.internal'] });
  r.set({ containerId: id('f'), networks: [{ network: 'proj_a', address: '10.1.0.10', names: ['front', 'proj-front-1'] }, { network: 'proj_b', address: '10.2.0.10', names: ['front', 'proj-front-1', 'edge'] }] });
  r.set({ containerId: id('1'), networks: [{ network: 'proj_a', address: '10.1.0.2', names: ['web', 'proj-web-1', 'Web-Host', 'www'] }] });
  r.set({ containerId: id('2'), networks: [{ network: 'proj_a', address: '10.1.0.3', names: ['web', 'proj-web-2'] }] });
  r.set({ containerId: id('d'), networks: [{ network: 'proj_b', address: '10.2.0.5', names: ['db', 'proj-db-1', 'db.internal'] }] });
  r.set({ containerId: id('c'), networks: [{ network: 'other_c', address: '10.3.0.5', names: ['cache', 'web'] }] });
  return r;
}

it('a name resolves only for clients on a network they share with the target', () => {
  const r = project();
  assert.deepEqual(r.lookup('db', '10.2.0.10'), ['10.2.0.5']); // front asks through its b address
  assert.deepEqual(r.lookup('db', '10.1.0.10'), ['10.2.0.5']); // ... and through its a address: same container, same view
  assert.equal(r.lookup('db', '10.1.0.2'), undefined); // web is not on b
  assert.equal(r.lookup('cache', '10.1.0.2'), undefined);
  assert.deepEqual(r.lookup('web', '10.3.0.5'), ['10.3.0.5']); // another project's own "web"
  assert.equal(r.lookup('web', '192.0.2.1'), undefined); // an unknown client sees nothing
});

it('replicas all answer, in the order they were set; a target on two shared networks answers once, on the client first network', () => {
  const r = project();
  assert.deepEqual(r.lookup('web', '10.1.0.10'), ['10.1.0.2', '10.1.0.3']);
  r.set({ containerId: id('e'), networks: [{ network: 'proj_b', address: '10.2.0.20', names: ['x'] }, { network: 'proj_a', address: '10.1.0.20', names: ['x'] }] });
  assert.deepEqual(r.lookup('front', '10.1.0.20'), ['10.2.0.10']); // e's first network is b
  assert.deepEqual(r.lookup('x', '10.1.0.2'), ['10.1.0.20']);
  assert.deepEqual(r.lookup('edge', '10.1.0.20'), ['10.2.0.10']); // an alias given on b only
  assert.equal(r.lookup('edge', '10.1.0.2'), undefined);
});

it('names are case-insensitive; `name.` and `name.<local domain>` forms; dotted aliases', () => {
  const r = project();
  for (const n of ['WEB-HOST', 'web-host.', 'Web-Host.Proj.Internal', 'web-host.proj.internal.']) assert.deepEqual(r.lookup(n, '10.1.0.3'), ['10.1.0.2'], n);
  assert.deepEqual(r.lookup('db.internal', '10.2.0.10'), ['10.2.0.5']);
  assert.equal(r.lookup('web-host.other.internal', '10.1.0.3'), undefined);
});

it('records change live: remove, set again with a new address, an address handed on', () => {
  const r = project();
  r.remove(id('1'));
  assert.deepEqual(r.lookup('web', '10.1.0.10'), ['10.1.0.3']);
  assert.equal(r.lookup('www', '10.1.0.10'), undefined);
  assert.equal(r.lookup('web', '10.1.0.2'), undefined); // the removed container no longer counts as a client
  r.set({ containerId: id('1'), networks: [{ network: 'proj_a', address: '10.1.0.7', names: ['web', 'www'] }] });
  assert.deepEqual(r.lookup('www', '10.1.0.10'), ['10.1.0.7']);
  assert.deepEqual(r.lookup('web', '10.1.0.10'), ['10.1.0.3', '10.1.0.7']);
  // set() replaces: the old names and networks go
  r.set({ containerId: id('1'), networks: [{ network: 'proj_b', address: '10.2.0.7', names: ['web2'] }] });
  assert.equal(r.lookup('www', '10.1.0.10'), undefined);
  assert.deepEqual(r.lookup('web2', '10.2.0.10'), ['10.2.0.7']);
  // a new container got db's old address before db's record was removed: removing db must not forget it
  r.set({ containerId: id('n'), networks: [{ network: 'proj_b', address: '10.2.0.5', names: ['newcomer'] }] });
  r.remove(id('d'));
  assert.deepEqual(r.lookup('front', '10.2.0.5'), ['10.2.0.10']);
  assert.equal(r.lookup('db', '10.2.0.10'), undefined);
  r.remove('not-there');
  assert.equal(r.list().length, 5);
});

it('set() keeps its own copy of what it is given', () => {
  const r = new DnsRecords();
  const names = ['a'];
  r.set({ containerId: id('1'), networks: [{ network: 'n', address: '10.9.0.2', names }] });
  names.push('b');
  assert.equal(r.lookup('b', '10.9.0.2'), undefined);
  assert.deepEqual(r.lookup('a', '10.9.0.2'), ['10.9.0.2']);
});

it('reverse: an address names its container for clients on that network (or itself); reverseName overrides the first name', () => {
  const r = project();
  assert.equal(r.reverse('10.1.0.2', '10.1.0.10'), 'web');
  assert.equal(r.reverse('10.2.0.5', '10.1.0.2'), undefined); // web is not on b
  assert.equal(r.reverse('10.2.0.10', '10.2.0.10'), 'front');
  assert.equal(r.reverse('10.1.0.10', '10.2.0.5'), undefined); // db shares b with front, not a
  assert.equal(r.reverse('10.9.9.9', '10.1.0.10'), undefined);
  r.set({ containerId: id('1'), reverseName: 'proj-web-1', networks: [{ network: 'proj_a', address: '10.1.0.2', names: ['web'] }] });
  assert.equal(r.reverse('10.1.0.2', '10.1.0.3'), 'proj-web-1');
  assert.equal(r.list().find((e) => e.containerId === id('1'))?.reverseName, 'proj-web-1');
});
