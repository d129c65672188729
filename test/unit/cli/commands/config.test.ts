/** config's and version's options, each with its effect (no engine involved). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliTempDir, runCliUnprivilegedAsync } from '../../../support/cli-process.js';
import type { CliRun } from '../../../support/cli-process.js';
import { VERSION } from '../../../../src/util/version.js';

const COMPOSE = `name: cfg
services:
  web:
    image: "nginx:\${TAG:-1}"
    networks: [front]
    volumes: [data:/data]
    depends_on: [missing]
networks:
  front: {}
volumes:
  data: {}
`;

describe('config and version options', () => {
  let dir: string;
  const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => runCliUnprivilegedAsync(args, { cwd: dir, home: dir, env });
  before(() => {
    dir = cliTempDir('tsc-config-');
    fs.writeFileSync(path.join(dir, 'compose.yaml'), COMPOSE);
    fs.writeFileSync(path.join(dir, '.env'), 'TAG=2\n');
    fs.mkdirSync(path.join(dir, 'other'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--no-consistency lets a dangling depends_on through; without it the file is refused', async () => {
    const strict = await cli(['config', '-q']);
    assert.notEqual(strict.code, 0);
    assert.match(strict.stderr, /missing/);
    const lax = await cli(['config', '--no-consistency', '--format', 'json']);
    assert.equal(lax.code, 0, lax.stderr);
    assert.equal((JSON.parse(lax.stdout) as { services: { web: { image: string } } }).services.web.image, 'nginx:2');
  });

  it('--volumes, --networks, --environment, --no-interpolate, -o', async () => {
    const [volumes, networks, environment, raw] = await Promise.all([
      cli(['config', '--no-consistency', '--volumes']),
      cli(['config', '--no-consistency', '--networks']),
      cli(['config', '--no-consistency', '--environment'], { ONLY_HERE: 'x' }),
      cli(['config', '--no-consistency', '--no-interpolate', '--format', 'json']),
    ]);
    assert.equal(volumes.stdout, 'data\n');
    assert.equal(networks.stdout, 'front\n');
    assert.match(environment.stdout, /^ONLY_HERE=x$/m);
    assert.match(environment.stdout, /^TAG=2$/m);
    assert.equal((JSON.parse(raw.stdout) as { services: { web: { image: string } } }).services.web.image, 'nginx:${TAG:-1}');
    const out = path.join(dir, 'out.yaml');
    const written = await cli(['config', '--no-consistency', '-o', out]);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(written.stdout, '');
    assert.match(fs.readFileSync(out, 'utf8'), /^name: cfg\n/);
  });

  it('--project-directory: relative paths and .env from there', async () => {
    fs.writeFileSync(path.join(dir, 'other', '.env'), 'TAG=3\n');
    const r = await cli(['-f', 'compose.yaml', '--project-directory', 'other', 'config', '--no-consistency', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { services: { web: { image: string } } }).services.web.image, 'nginx:3');
  });

  it('version: --short, --format json', async () => {
    const [plain, short, json] = await Promise.all([cli(['version']), cli(['version', '--short']), cli(['version', '-f', 'json'])]);
    assert.equal(plain.stdout, `tsc-compose version ${VERSION}\n`);
    assert.equal(short.stdout, `${VERSION}\n`);
    assert.deepEqual(JSON.parse(json.stdout), { version: VERSION });
  });
});
