/** The CLI end to end: real processes, real files in a temp dir, no root needed. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { BIN, REPO_ROOT } from '../../support/paths.js';
import { VERSION } from '../../../src/util/version.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: os.homedir(), ...opts.env };
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? REPO_ROOT, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
const write = (rel: string, text: string): string => {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
};

describe('tsc-compose CLI', () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--version matches package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
    const r = cli(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `tsc-compose version ${pkg.version}\n`);
  });

  it('config prints the example in canonical form', () => {
    const example = path.join(REPO_ROOT, 'examples', 'node-postgres-redis');
    const r = cli(['config', '--format', 'json'], { cwd: example });
    assert.equal(r.code, 0, r.stderr);
    const project = JSON.parse(r.stdout);
    assert.equal(project.name, 'node-postgres-redis');
    assert.deepEqual(Object.keys(project.services), ['app', 'cache', 'db']);
    const app = project.services.app;
    assert.deepEqual(app.depends_on.db, { condition: 'service_healthy', required: true });
    assert.equal(app.ports[0].target, 8080);
    assert.equal(app.ports[0].published, '8080');
    assert.equal(app.ports[0].host_ip, '127.0.0.1');
    assert.equal(app.volumes[0].type, 'bind');
    assert.equal(app.volumes[0].source, path.join(example, 'app'));
    assert.equal(app.volumes[0].read_only, true);
    assert.equal(project.services.db.environment.POSTGRES_PASSWORD, 'app-secret');
    assert.equal(project.volumes.pgdata.name, 'node-postgres-redis_pgdata');
    assert.equal(project.networks.default.name, 'node-postgres-redis_default');
  });

  it('a bad file gets one positioned message, no stack trace, non-zero exit', () => {
    write('bad/compose.yaml', 'services:\n  web:\n    image: nginx\n    ports:\n      - "80:eighty"\n    imagee: typo\n');
    const r = cli(['config'], { cwd: path.join(dir, 'bad') });
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /compose\.yaml:6:5 services\.web additional properties 'imagee' not allowed/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('-q validates only; --services/--profiles/--images list', () => {
    write('list/compose.yaml', 'services:\n  web:\n    image: nginx\n  dbg:\n    image: busybox\n    profiles: [debug]\n  built:\n    build: .\n');
    const cwd = path.join(dir, 'list');
    const q = cli(['config', '-q'], { cwd });
    assert.equal(q.code, 0, q.stderr);
    assert.equal(q.stdout, '');
    assert.equal(cli(['config', '--services'], { cwd }).stdout, 'built\nweb\n');
    assert.equal(cli(['--profile', 'debug', 'config', '--services'], { cwd }).stdout, 'built\ndbg\nweb\n');
    assert.equal(cli(['config', '--profiles'], { cwd }).stdout, 'debug\n');
    assert.equal(cli(['config', '--images'], { cwd }).stdout, 'list-built\nnginx\n');
  });

  it('variables: shell beats --env-file beats .env; COMPOSE_PROJECT_NAME and COMPOSE_FILE from .env', () => {
    write('env/.env', 'TAG=from-dotenv\nCOMPOSE_PROJECT_NAME=fromdotenv\nCOMPOSE_FILE=other.yaml\n');
    write('env/custom.env', 'TAG=from-envfile\n');
    write('env/other.yaml', 'services:\n  web:\n    image: "nginx:${TAG}"\n');
    const cwd = path.join(dir, 'env');
    const run = (args: string[], env: Record<string, string> = {}): any => {
      const r = cli([...args, 'config', '--format', 'json'], { cwd, env });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const dotenv = run([]);
    assert.equal(dotenv.name, 'fromdotenv');
    assert.equal(dotenv.services.web.image, 'nginx:from-dotenv');
    assert.equal(run(['--env-file', 'custom.env', '-f', 'other.yaml']).services.web.image, 'nginx:from-envfile');
    assert.equal(run([], { TAG: 'from-shell' }).services.web.image, 'nginx:from-shell');
    assert.equal(run(['-p', 'cli-name']).name, 'cli-name');
  });

  it('several -f files merge, later wins', () => {
    write('merge/compose.yaml', 'services:\n  web:\n    image: nginx\n    environment: {A: "1", B: "1"}\n');
    write('merge/override.yaml', 'services:\n  web:\n    image: nginx:2\n    environment: [B=2, C=3]\n');
    const r = cli(['-f', 'compose.yaml', '-f', 'override.yaml', 'config', '--format', 'json'], { cwd: path.join(dir, 'merge') });
    assert.equal(r.code, 0, r.stderr);
    const web = JSON.parse(r.stdout).services.web;
    assert.equal(web.image, 'nginx:2');
    assert.deepEqual(web.environment, { A: '1', B: '2', C: '3' });
  });

  it('obsolete version warns on stderr, stdout stays clean YAML', () => {
    write('ver/compose.yaml', 'version: "3.8"\nservices:\n  web:\n    image: nginx\n');
    const r = cli(['config'], { cwd: path.join(dir, 'ver') });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /`version` is obsolete/);
    assert.match(r.stdout, /^name: ver\nservices:\n {2}web:\n/);
  });

  it('unknown command and unknown flag are usage errors', () => {
    assert.equal(cli(['nope']).code, 2);
    const r = cli(['config', '--bogus'], { cwd: path.join(REPO_ROOT, 'examples', 'node-postgres-redis') });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown flag: --bogus/);
  });

  it('run --entrypoint that cannot be split is a usage error, before the engine is contacted', () => {
    write('entry/compose.yaml', 'services:\n  web:\n    image: busybox\n');
    // A state root that cannot hold a directory: reaching for the engine (or starting one) would fail, not spawn.
    const stateRoot = write('entry/state-root-is-a-file', '');
    const r = cli(['run', '--entrypoint', 'sh -c "x', 'web'], { cwd: path.join(dir, 'entry'), env: { TSC_COMPOSE_ROOT: stateRoot } });
    assert.equal(r.stderr, 'invalid argument "sh -c \\"x" for "--entrypoint": unterminated double quote\n');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
  });

  it('run --entrypoint warns that what follows an unquoted ; is dropped, as docker compose drops it', () => {
    write('entry/compose.yaml', 'services:\n  web:\n    image: busybox\n');
    const stateRoot = write('entry/state-root-is-a-file', '');
    const r = cli(['run', '--entrypoint', 'migrate; serve', 'web'], { cwd: path.join(dir, 'entry'), env: { TSC_COMPOSE_ROOT: stateRoot } });
    assert.match(r.stderr, /^WARN\[0000\] --entrypoint: "; serve" is ignored, as docker compose ignores what follows an unquoted ;/);
    assert.notEqual(r.code, 0, 'no engine can be reached with this state root');
  });

  it('a missing compose file is a clear error', () => {
    fs.mkdirSync(path.join(dir, 'empty'), { recursive: true });
    const r = cli(['-f', 'nope.yaml', 'config'], { cwd: path.join(dir, 'empty') });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /nope\.yaml: no such file or directory/);
  });
});
