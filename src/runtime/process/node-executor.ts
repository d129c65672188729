/**
 * The executor for machines without a C compiler: the same protocol and the
 * same spec as native/tsc-compose-shim.c, carried out by Node through koffi.
 * `run` is the monitor (a detached Node process, ~40 MB instead of ~1.5 MB);
 * `init` is the container's PID 1 until it execs the user's command. Every
 * step runs on the main thread with synchronous calls, because namespaces and
 * credentials changed there are the ones execve keeps (libuv's threads stay
 * behind, unused).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { libc } from '../../sys/container-init.js';
import { CLONE, MS, O } from '../../sys/constants.js';
import { SyscallError } from '../../errors/index.js';
import type { NamespaceKind } from './contract.js';

const NAMESPACE_FLAGS: Record<NamespaceKind, number> = { mnt: CLONE.NEWNS, uts: CLONE.NEWUTS, ipc: CLONE.NEWIPC, net: CLONE.NEWNET, pid: CLONE.NEWPID, cgroup: CLONE.NEWCGROUP };
const PROPAGATION = MS.SHARED | MS.SLAVE | MS.PRIVATE;
const PER_MOUNT = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC;
const RLIMITS: Record<string, number> = { cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8, as: 9, locks: 10, sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14, rttime: 15 };

interface Directive {
  name: string;
  args: string[];
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'e' ? '' : c));
}

function readSpec(file: string): Directive[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const [name, ...args] = line.split('\t');
      return { name: name as string, args: args.map(unescape) };
    });
}

class StepError extends Error {
  constructor(readonly step: string, readonly errno: number, message: string) {
    super(message);
  }
}

function step<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof StepError) throw err;
    if (err instanceof SyscallError) throw new StepError(name, err.errno, err.message);
    const e = err as NodeJS.ErrnoException;
    throw new StepError(name, e.errno ? -e.errno : 0, e.message);
  }
}

// ---- PID 1 ------------------------------------------------------------------

function openInRoot(rootFd: number, target: string, create: boolean, asFile: boolean): number {
  let fd = libc.openInRoot(rootFd, target);
  if (fd >= 0 || !create) return fd;
  const parts = target.split('/').filter(Boolean);
  let partial = '';
  for (let i = 0; i < parts.length; i++) {
    const parent = partial === '' ? '/' : partial;
    partial += `/${parts[i]}`;
    const existing = libc.openInRoot(rootFd, partial);
    if (existing >= 0) {
      libc.close(existing);
      continue;
    }
    const pfd = libc.openInRoot(rootFd, parent);
    if (pfd < 0) return -1;
    if (i === parts.length - 1 && asFile) {
      const f = libc.openat(pfd, parts[i] as string, 0o100 | 0o1 | O.CLOEXEC | 0o400000, 0o644);
      if (f >= 0) libc.close(f);
    } else {
      libc.mkdirat(pfd, parts[i] as string, 0o755);
    }
    libc.close(pfd);
  }
  fd = libc.openInRoot(rootFd, target);
  return fd;
}

function init(specFile: string): void {
  const errFd = 4;
  const report = (err: unknown): never => {
    const e = err instanceof StepError ? err : new StepError('init', 0, String(err));
    try {
      fs.writeSync(errFd, `error ${e.step} ${e.errno} ${e.message.replace(/\n/g, ' ')}\n`);
    } catch {
      // the monitor is gone
    }
    process.exit(127);
  };
  try {
    const go = Buffer.alloc(8);
    if (fs.readSync(3, go, 0, go.length, null) <= 0) process.exit(126);
    const spec = readSpec(specFile);
    const all = (name: string): Directive[] => spec.filter((d) => d.name === name);
    const one = (name: string): Directive | undefined => spec.find((d) => d.name === name);
    let flags = 0;
    for (const d of all('ns')) if (d.args[0] !== 'pid') flags |= NAMESPACE_FLAGS[d.args[0] as NamespaceKind];
    step('unshare', () => libc.unshare(flags));
    if (flags & CLONE.NEWNET) step('loopback', () => libc.loopbackUp());
    step('mount', () => libc.mount(null, '/', null, MS.REC | MS.SLAVE, null));
    const rootfs = one('rootfs');
    if (!rootfs) throw new StepError('spec', 22, 'no rootfs');
    const [target, kind, data] = rootfs.args as [string, string, string];
    step('mount', () => (kind === 'overlay' ? libc.mount('overlay', target, 'overlay', 0, data) : libc.mount(target, target, null, MS.BIND | MS.REC, null)));
    const rootFd = step('rootfs', () => libc.open(target, O.PATH | O.DIRECTORY | O.CLOEXEC));
    for (const d of spec) {
      if (d.name === 'mount') {
        const [source, mtarget, fstype, flagText, mdata, mkind] = d.args as [string, string, string, string, string, string];
        const mflags = Number(flagText);
        step('mount', () => {
          const fd = openInRoot(rootFd, mtarget, true, mkind === 'file');
          if (fd < 0) throw new StepError('mount', libc.errno(), `${source} on ${mtarget}: cannot create the mount point`);
          const at = `/proc/self/fd/${fd}`;
          if (mflags & MS.BIND) libc.mount(source, at, null, mflags & (MS.BIND | MS.REC), null);
          else libc.mount(source, at, fstype || null, mflags & ~PROPAGATION, mdata || null);
          libc.close(fd);
          const rest = mflags & PER_MOUNT;
          const propagation = mflags & PROPAGATION;
          if (!((mflags & MS.BIND) && rest) && !propagation) return;
          const again = openInRoot(rootFd, mtarget, false, false);
          const at2 = `/proc/self/fd/${again}`;
          if ((mflags & MS.BIND) && rest) libc.mount(null, at2, null, MS.BIND | MS.REMOUNT | rest, null);
          if (propagation) libc.mount(null, at2, null, propagation | (mflags & MS.REC), null);
          libc.close(again);
        });
      } else if (d.name === 'symlink') {
        const [to, link] = d.args as [string, string];
        step('symlink', () => {
          const slash = link.lastIndexOf('/');
          const pfd = openInRoot(rootFd, link.slice(0, slash) || '/', true, false);
          libc.symlinkat(to, pfd, link.slice(slash + 1));
          libc.close(pfd);
        });
      } else if (d.name === 'hostname') step('hostname', () => libc.sethostname(d.args[0] as string));
      else if (d.name === 'domainname') step('domainname', () => libc.setdomainname(d.args[0] as string));
    }
    const cwd = one('cwd')?.args[0] ?? '/';
    if (cwd !== '/') step('cwd', () => libc.close(openInRoot(rootFd, cwd, true, false)));
    step('pivot_root', () => {
      libc.chdir(target);
      libc.pivotRoot('.', '.');
      libc.umount2('.', 2 /* MNT_DETACH */);
      libc.chdir('/');
    });
    for (const d of all('sysctl')) step('sysctl', () => fs.writeFileSync(`/proc/sys/${(d.args[0] as string).replace(/\./g, '/')}`, d.args[1] as string));
    for (const d of all('rlimit')) step('rlimit', () => libc.setrlimit(RLIMITS[d.args[0] as string] ?? -1, Number(d.args[1]), Number(d.args[2])));
    for (const d of all('oom_score_adj')) step('oom_score_adj', () => fs.writeFileSync('/proc/self/oom_score_adj', d.args[0] as string));
    for (const d of all('mask')) {
      const p = d.args[0] as string;
      let st: fs.Stats | undefined;
      try {
        st = fs.statSync(p);
      } catch {
        st = undefined;
      }
      if (!st) continue;
      step('mask', () => (st.isDirectory() ? libc.mount('tmpfs', p, 'tmpfs', MS.RDONLY, 'size=0') : libc.mount('/dev/null', p, null, MS.BIND, null)));
    }
    for (const d of all('readonly')) {
      const p = d.args[0] as string;
      if (!fs.existsSync(p)) continue;
      step('readonly', () => {
        libc.mount(p, p, null, MS.BIND | MS.REC, null);
        libc.mount(null, p, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.REC | MS.NOSUID | MS.NODEV | MS.NOEXEC, null);
      });
    }
    if (one('readonly_root')) step('mount', () => libc.mount(null, '/', null, MS.BIND | MS.REMOUNT | MS.RDONLY, null));
    step('cwd', () => libc.chdir(cwd));
    const user = one('user')?.args ?? ['0', '0', ''];
    const uid = Number(user[0]);
    const gid = Number(user[1]);
    step('user', () => {
      libc.setgroups((user[2] ?? '').split(',').filter(Boolean).map(Number));
      libc.setgid(gid);
    });
    const capsText = one('caps')?.args[0];
    const caps = capsText !== undefined ? BigInt(`0x${capsText}`) : undefined;
    if (caps !== undefined) for (let cap = 0; cap < 64; cap++) if (!((caps >> BigInt(cap)) & 1n)) libc.prctl(24 /* PR_CAPBSET_DROP */, cap);
    if (one('no_new_privs')) libc.prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1);
    if (uid !== 0) step('user', () => libc.setuid(uid));
    else if (caps !== undefined) step('capabilities', () => libc.capset(caps));
    for (const fd of [0, 1, 2]) libc.clearCloexec(fd);
    libc.setCloexec(errFd);
    libc.setCloexec(3);
    const args = all('arg').map((d) => d.args[0] ?? '');
    const env = all('env').map((d) => d.args[0] ?? '');
    const cmd = args[0] ?? '';
    if (one('init')) {
      runAsInit(args, env, errFd);
      return;
    }
    const candidates = cmd.includes('/') ? [cmd] : (env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':').map((d) => `${d || '.'}/${cmd}`);
    let last = 2;
    for (const file of candidates) {
      const errno = libc.execve(file, args, env);
      if (errno !== 2 && errno !== 20) last = errno;
    }
    if (last === 2) throw new StepError('exec', 2, `exec "${cmd}": executable file not found in $PATH`);
    throw new StepError('exec', last, `exec "${cmd}": ${os.constants.errno ? Object.entries(os.constants.errno).find(([, v]) => v === last)?.[0] : last}`);
  } catch (err) {
    report(err);
  }
}

/**
 * `init: true` without fork(): this Node process stays PID 1, starts the
 * command as its child (inheriting the namespaces and credentials set up on
 * this thread), forwards signals to it and exits with its status.
 */
function runAsInit(args: string[], env: string[], errFd: number): void {
  const envObject = Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const child = spawn(args[0] as string, args.slice(1), { stdio: 'inherit', env: envObject });
  child.on('error', (err: NodeJS.ErrnoException) => {
    const message = err.code === 'ENOENT' ? `exec "${args[0]}": executable file not found in $PATH` : `exec "${args[0]}": ${err.message}`;
    fs.writeSync(errFd, `error exec ${-(err.errno ?? -2)} ${message}\n`);
    process.exit(127);
  });
  child.on('spawn', () => {
    fs.closeSync(errFd);
    fs.closeSync(3);
  });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
}

// ---- the monitor --------------------------------------------------------------

function run(specFile: string): void {
  const spec = readSpec(specFile);
  const one = (name: string): string | undefined => spec.find((d) => d.name === name)?.args[0];
  const logFile = one('log') as string;
  const statusFile = one('status') as string;
  const pidFile = one('pidfile');
  process.stdout.on('error', () => undefined);
  try {
    for (const d of spec.filter((x) => x.name === 'join')) libc.setns(d.args[1] as string);
  } catch (err) {
    const e = err as SyscallError;
    process.stdout.write(`error setns ${e.errno ?? 0} ${e.message}\n`);
    process.exit(1);
  }
  if (spec.some((d) => d.name === 'ns' && d.args[0] === 'pid')) libc.unshare(CLONE.NEWPID);
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [self, 'init', specFile], { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  const goPipe = child.stdio[3] as NodeJS.WritableStream;
  const errPipe = child.stdio[4] as NodeJS.ReadableStream;
  const log = fs.openSync(logFile, 'a', 0o640);
  const stamp = (): string => {
    const now = process.hrtime.bigint();
    const ms = Date.now();
    return `${new Date(ms).toISOString().slice(0, 19)}.${String(ms % 1000).padStart(3, '0')}${String(now % 1_000_000n).padStart(6, '0')}Z`;
  };
  for (const [stream, name] of [[child.stdout, 'stdout'], [child.stderr, 'stderr']] as const) {
    let carry = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (carry + chunk.toString('utf8')).split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) fs.writeSync(log, `${stamp()} ${name} F ${line}\n`);
    });
    stream?.on('end', () => {
      if (carry) fs.writeSync(log, `${stamp()} ${name} P ${carry}\n`);
    });
  }
  process.stdout.write(`pid ${child.pid}\n`);
  let failure = '';
  errPipe.on('data', (d: Buffer) => {
    failure += d.toString('utf8');
  });
  let input = '';
  process.stdin.on('data', (d: Buffer) => {
    input += d.toString('utf8');
    if (input.startsWith('go')) {
      process.stdin.pause();
      goPipe.write('go');
      goPipe.end();
    }
  });
  process.stdin.on('end', () => {
    if (!input.startsWith('go')) child.kill('SIGKILL');
  });
  errPipe.on('end', () => {
    if (failure) {
      process.stdout.write(failure.endsWith('\n') ? failure : `${failure}\n`);
      return;
    }
    if (pidFile) fs.writeFileSync(pidFile, `${child.pid} ${process.pid}\n`);
    process.stdout.write(`started ${child.pid} ${process.pid}\n`);
    process.stdout.end();
  });
  // 'close' comes after the output streams ended, so the log is complete when the status appears.
  child.on('close', (code, signal) => {
    const exitCode = code ?? 128 + (signal ? os.constants.signals[signal] : 0);
    const sig = signal ? os.constants.signals[signal] : 0;
    const body = `exit_code ${exitCode}\nsignal ${sig}\nfinished_at ${new Date().toISOString()}\n`;
    if (!failure) {
      fs.writeFileSync(`${statusFile}.tmp`, body);
      fs.renameSync(`${statusFile}.tmp`, statusFile);
    }
    process.exit(failure ? 1 : 0);
  });
}

const [mode, file] = process.argv.slice(2);
if (mode === 'init' && file) init(file);
else if (mode === 'run' && file) run(file);
