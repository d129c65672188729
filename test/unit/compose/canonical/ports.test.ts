/** ports: short syntax parsed as docker/go-connections and compose-go do, long syntax typed and defaulted. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePortSpec } from '../../../../src/compose/canonical/ports.js';
import { canonicalError, service } from '../../../support/canonical.js';

const ports = (...specs: string[]): unknown => service(`services:\n  web:\n    ports: [${specs.join(', ')}]\n`).ports;
const p = (target: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ mode: 'ingress', target, protocol: 'tcp', ...extra });

describe('short syntax', () => {
  it('container port only, as a number or text', () => {
    assert.deepEqual(ports('3000', '"3001"'), [p(3000), p(3001)]);
  });

  it('host:container, published as text', () => {
    assert.deepEqual(ports('"8080:80"'), [p(80, { published: '8080' })]);
  });

  it('ip:host:container and ip::container', () => {
    assert.deepEqual(ports('"127.0.0.1:8001:8001"', '"127.0.0.1::5432"'), [
      { mode: 'ingress', host_ip: '127.0.0.1', target: 8001, published: '8001', protocol: 'tcp' },
      { mode: 'ingress', host_ip: '127.0.0.1', target: 5432, protocol: 'tcp' },
    ]);
  });

  it('IPv6 host addresses, bracketed or not', () => {
    assert.deepEqual(ports('"[::1]:9000:90"', '"::1:9001:91"', '"[2001:db8::1]::53/udp"'), [
      { mode: 'ingress', host_ip: '::1', target: 90, published: '9000', protocol: 'tcp' },
      { mode: 'ingress', host_ip: '::1', target: 91, published: '9001', protocol: 'tcp' },
      { mode: 'ingress', host_ip: '2001:db8::1', target: 53, protocol: 'udp' },
    ]);
  });

  it('protocols, lower-cased', () => {
    assert.deepEqual(ports('"53:53/UDP"', '"9000/sctp"'), [p(53, { published: '53', protocol: 'udp' }), p(9000, { protocol: 'sctp' })]);
  });

  it('ranges become one entry per port', () => {
    assert.deepEqual(ports('"3001-3003"'), [p(3001), p(3002), p(3003)]);
    assert.deepEqual(ports('"9090-9091:8080-8081"'), [p(8080, { published: '9090' }), p(8081, { published: '9091' })]);
    assert.deepEqual(ports('"127.0.0.1:5000-5001:5000-5001/udp"'), [
      { mode: 'ingress', host_ip: '127.0.0.1', target: 5000, published: '5000', protocol: 'udp' },
      { mode: 'ingress', host_ip: '127.0.0.1', target: 5001, published: '5001', protocol: 'udp' },
    ]);
  });

  it('a host range for one container port stays a range (docker picks a free one)', () => {
    assert.deepEqual(ports('"6005-6015:80"'), [p(80, { published: '6005-6015' })]);
  });

  it('entries of one range come in the order of their "port/proto" text, as compose-go sorts them', () => {
    assert.deepEqual(
      (ports('"8-10:8-10"') as Array<{ target: number }>).map((x) => x.target),
      [10, 8, 9],
    );
  });

  it('duplicates revealed by expansion collapse, later entries winning in place', () => {
    assert.deepEqual(ports('"80-81:80-81"', '"81:81"', '"82:82"'), [p(80, { published: '80' }), p(81, { published: '81' }), p(82, { published: '82' })]);
  });

  it('parsePortSpec reports docker/go-connections errors', () => {
    assert.deepEqual(parsePortSpec('80:eighty'), { error: 'invalid containerPort: eighty' });
    assert.deepEqual(parsePortSpec('eighty:80'), { error: 'invalid hostPort: eighty' });
    assert.deepEqual(parsePortSpec('80/icmp'), { error: 'invalid proto: icmp' });
    assert.deepEqual(parsePortSpec('8080:'), { error: 'no port specified: 8080:<empty>' });
    assert.deepEqual(parsePortSpec('1.2.3:80:80'), { error: 'invalid IP address: 1.2.3' });
    assert.deepEqual(parsePortSpec('70000'), { error: 'invalid containerPort: 70000' });
    assert.deepEqual(parsePortSpec('81-80'), { error: 'invalid containerPort: 81-80' });
    assert.deepEqual(parsePortSpec('8000-8002:80-81'), { error: 'invalid ranges specified for container and host Ports: 80-81 and 8000-8002' });
  });

  it('a bad port is a ComposeFileError at the entry, with compose-go wording', () => {
    const err = canonicalError('services:\n  web:\n    ports:\n      - "80:80"\n      - "80:eighty"\n');
    assert.equal(err.message, 'services.web.ports.1 invalid containerPort: eighty');
    assert.equal(err.keyPath, 'services.web.ports.1');
    assert.equal(err.service, 'web');
    assert.deepEqual(err.location, { file: '/p/compose.yaml', line: 5, column: 9 });
  });
});

describe('long syntax', () => {
  it('defaults protocol and mode, published becomes text, target a number', () => {
    const yaml = `services:
  web:
    ports:
      - target: "80"
        published: 8080
      - target: 53
        host_ip: 127.0.0.1
        published: "5353"
        protocol: udp
        mode: host
        name: dns
        app_protocol: dns
      - target: 9000
        published: 9000-9010
`;
    assert.deepEqual(service(yaml).ports, [
      { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' },
      { name: 'dns', mode: 'host', host_ip: '127.0.0.1', target: 53, published: '5353', protocol: 'udp', app_protocol: 'dns' },
      { mode: 'ingress', target: 9000, published: '9000-9010', protocol: 'tcp' },
    ]);
  });

  it('short and long forms mix; extension keys stay', () => {
    const yaml = 'services:\n  web:\n    ports:\n      - 80\n      - {target: 443, x-note: tls}\n';
    assert.deepEqual(service(yaml).ports, [p(80), { mode: 'ingress', target: 443, protocol: 'tcp', 'x-note': 'tls' }]);
  });

  it('a target that is not a number is refused', () => {
    assert.match(canonicalError('services:\n  web:\n    ports: [{target: http}]\n').message, /^services\.web\.ports\.0\.target must be an integer, got "http"$/);
  });
});
