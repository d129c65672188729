/**
 * The test images do what a compose stack expects of them, checked without
 * tsc-compose: each image's layers extracted with GNU tar, its processes run
 * with chroot in fresh mount, PID and network namespaces (so nothing outlives
 * a test), started from the image config's Entrypoint, Cmd, Env and WorkingDir.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from '../../support/test-images/exec.js';
import { extractImage } from '../../support/test-images/extract.js';
import { ensureTestImages, type TestImage, type TestImages } from '../../support/test-images/images.js';

type Names = 'busybox' | 'debian' | 'postgres' | 'redis' | 'node';
let images: TestImages<Names>;
let tmp: string;

function q(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** The uid of a user in an extracted root filesystem. */
function uidOf(rootfs: string, user: string): number {
  const line = fs.readFileSync(path.join(rootfs, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  assert.ok(line, `${user} in /etc/passwd`);
  return Number(line.split(':')[2]);
}

/**
 * Runs a bash body on the host side of fresh namespaces, with `ctr [VAR=v...] CMD...`
 * to run a process of the image (`(ctrx ...) &` in the background) and ENTRY holding Entrypoint + Cmd. Loopback
 * also answers on 10.88.0.1, a non-loopback address for "remote" clients.
 */
async function inImage(rootfs: string, image: TestImage, body: string): Promise<string> {
  const config = image.config;
  const entry = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  const script = `
set -euo pipefail
R=${q(rootfs)}
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=0755,nosuid tmpfs "$R/dev"
for d in null zero full random urandom tty; do : >"$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
ln -s /proc/self/fd "$R/dev/fd"
mkdir -p "$R/dev/shm" && mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
ip link set lo up
ip addr add 10.88.0.1/32 dev lo
IMAGE_ENV=(${(config.Env ?? []).map(q).join(' ')})
ENTRY=(${entry.map(q).join(' ')})
# ctrx replaces the calling (sub)shell, so that "(ctrx ...) &" leaves $! as the image's process.
ctrx() { exec chroot "$R" env -i "\${IMAGE_ENV[@]}" sh -c 'cd "$0" && exec env "$@"' ${q(config.WorkingDir || '/')} "$@"; }
ctr() { (ctrx "$@"); }
${body}
`;
  const { stdout } = await run(['unshare', '--mount', '--pid', '--net', '--fork', '--kill-child', 'bash', '-c', script], { timeoutMs: 120_000 });
  return stdout;
}

/** key=value lines of a script's output. */
function facts(output: string): Record<string, string> {
  return Object.fromEntries(
    output
      .split('\n')
      .map((l) => /^([\w-]+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] as string, m[2] as string]),
  );
}

async function rootfsOf(name: Names): Promise<string> {
  const dir = path.join(tmp, name);
  await extractImage(images[name], dir);
  return dir;
}

describe('test image contents', () => {
  before(async () => {
    images = await ensureTestImages({ images: ['busybox', 'debian', 'postgres', 'redis', 'node'] });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-harness-contents-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('busybox: sh with applets, root and nobody, a sticky /tmp', async () => {
    const rootfs = await rootfsOf('busybox');
    const out = facts(
      await inImage(rootfs, images.busybox, `
echo "id=$(ctr "\${ENTRY[@]}" -c 'id -u'):$(ctr id -g)"
echo "tmp=$(ctr stat -c %a /tmp)"
echo "nobody=$(ctr id -u nobody)"
echo "wc=$(echo one two | ctr wc -w)"
`),
    );
    assert.deepEqual(out, { id: '0:0', tmp: '1777', nobody: '65534', wc: '2' });
  });

  it('debian: bookworm minbase with apt configured and no package lists left', async () => {
    const rootfs = await rootfsOf('debian');
    const out = facts(
      await inImage(rootfs, images.debian, `
echo "version=$(ctr cat /etc/debian_version)"
echo "lists=$(ls "$R/var/lib/apt/lists" | grep -vc -e '^lock$' -e '^partial$' || true)"
echo "sources=$(ctr grep -c '^Suites:' /etc/apt/sources.list.d/debian.sources)"
echo "dev=$(ls -A "$R/dev" | wc -l)"
`),
    );
    assert.match(out['version'] ?? '', /^12\./);
    assert.equal(out['lists'], '0');
    assert.ok(Number(out['sources']) >= 1);
    // The extracted /dev is empty until something is mounted on it (here: our tmpfs with 6 nodes, fd, shm).
    assert.equal(fs.readdirSync(path.join(rootfs, 'dev')).length, 0);
  });

  it('postgres: initdb into the empty volume with POSTGRES_* settings, password auth from other hosts, SIGINT stops it, restart skips init', async () => {
    const rootfs = await rootfsOf('postgres');
    const postgresUid = uidOf(rootfs, 'postgres');
    const out = facts(
      await inImage(rootfs, images.postgres, `
ready() { for _ in $(seq 600); do ctr pg_isready -q -h 10.88.0.1 && return 0; kill -0 "$1" 2>/dev/null || return 1; sleep 0.05; done; return 1; }
(ctrx POSTGRES_PASSWORD=s3cret POSTGRES_USER=app POSTGRES_DB=appdb "\${ENTRY[@]}") >"$R/tmp/pg1.log" 2>&1 &
pg=$!
ready $pg || { cat "$R/tmp/pg1.log" >&2; exit 1; }
echo "who=$(ctr PGPASSWORD=s3cret psql -h 10.88.0.1 -U app -d appdb -tAc "select concat_ws(',', current_user, current_database())")"
if ctr PGPASSWORD=wrong psql -h 10.88.0.1 -U app -d appdb -tAc 'select 1' >/dev/null 2>&1; then echo wrong=accepted; else echo wrong=rejected; fi
echo "listen=$(ctr PGPASSWORD=s3cret psql -h 10.88.0.1 -U app -d appdb -tAc 'show listen_addresses')"
echo "uid=$(awk '/^Uid:/{print $2}' "$R/proc/$pg/status")"
echo "datamode=$(stat -c %a "$R/var/lib/postgresql/data")"
kill -INT $pg
set +e; wait $pg; echo "exit=$?"; set -e
(ctrx "\${ENTRY[@]}") >"$R/tmp/pg2.log" 2>&1 &
pg=$!
ready $pg || { cat "$R/tmp/pg2.log" >&2; exit 1; }
grep -q 'Skipping initialization' "$R/tmp/pg2.log" && echo restart=skipped-init
kill -INT $pg; wait $pg || true
(ctrx PGDATA=/var/lib/postgresql/other POSTGRES_PASSWORD=x POSTGRES_USER=other "\${ENTRY[@]}") >"$R/tmp/pg3.log" 2>&1 &
pg=$!
ready $pg || { cat "$R/tmp/pg3.log" >&2; exit 1; }
echo "defaultdb=$(ctr PGPASSWORD=x psql -h 10.88.0.1 -U other -d other -tAc 'select current_database()')"
kill -INT $pg; wait $pg || true
set +e; ctr PGDATA=/var/lib/postgresql/empty "\${ENTRY[@]}" >"$R/tmp/pg4.log" 2>&1; echo "nopassword=$?"; set -e
grep -q 'superuser password is not specified' "$R/tmp/pg4.log" && echo nopassword-message=yes
`),
    );
    assert.equal(out['who'], 'app,appdb');
    assert.equal(out['wrong'], 'rejected');
    assert.equal(out['listen'], '*');
    assert.equal(out['uid'], String(postgresUid), 'postgres runs as the postgres user');
    assert.equal(out['datamode'], '700');
    assert.equal(out['exit'], '0', 'SIGINT is a clean fast shutdown');
    assert.equal(out['restart'], 'skipped-init');
    assert.equal(out['defaultdb'], 'other', 'POSTGRES_DB defaults to POSTGRES_USER');
    assert.equal(out['nopassword'], '1');
    assert.equal(out['nopassword-message'], 'yes');
  });

  it('redis: redis-server on 6379 for any client, as the redis user, in /data', async () => {
    const rootfs = await rootfsOf('redis');
    const redisUid = uidOf(rootfs, 'redis');
    const out = facts(
      await inImage(rootfs, images.redis, `
(ctrx "\${ENTRY[@]}") >"$R/tmp/redis.log" 2>&1 &
r=$!
for _ in $(seq 400); do [ "$(ctr redis-cli -h 10.88.0.1 -p 6379 ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
echo "ping=$(ctr redis-cli -h 10.88.0.1 ping)"
ctr redis-cli -h 10.88.0.1 set greeting hello >/dev/null
echo "get=$(ctr redis-cli -h 10.88.0.1 get greeting)"
echo "uid=$(awk '/^Uid:/{print $2}' "$R/proc/$r/status")"
echo "cwd=$(readlink "$R/proc/$r/cwd")"
kill -TERM $r
set +e; wait $r; echo "exit=$?"; set -e
`),
    );
    assert.equal(out['ping'], 'PONG');
    assert.equal(out['get'], 'hello');
    assert.equal(out['uid'], String(redisUid));
    assert.ok(out['cwd']?.endsWith('/data'), out['cwd']);
    assert.equal(out['exit'], '0');
  });

  it('node: node on PATH; the default command runs a script from stdin', async () => {
    const rootfs = await rootfsOf('node');
    const out = facts(
      await inImage(rootfs, images.node, `
echo "version=$(ctr node -p process.version)"
echo "answer=$(echo 'console.log(6 * 7)' | ctr "\${ENTRY[@]}")"
echo "user=$(ctr id -u node)"
`),
    );
    assert.match(out['version'] ?? '', /^v18\./);
    assert.equal(out['answer'], '42');
    assert.equal(out['user'], '1000');
  });
});
