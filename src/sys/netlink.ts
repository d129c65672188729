/**
 * rtnetlink sockets from this process (no fork per step of a container
 * start), and this thread's network namespace. A socket belongs to the
 * namespace of the thread that opened it, so a socket for a sandbox is
 * opened by entering the sandbox on this (the main) thread for the one
 * synchronous call and leaving it again at once: no JavaScript runs in
 * between, and the thread pool's threads are never moved. The messages
 * themselves are built elsewhere (src/network/host/netlink.ts).
 */
import { SyscallError } from '../errors/index.js';
import { AF_NETLINK, CLONE, MNT_DETACH, MS, O, SOCK_CLOEXEC, SOCK_RAW } from './constants.js';
import { check, raw } from './libc.js';

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const OWN_NETNS = '/proc/thread-self/ns/net';

const align = (n: number): number => (n + 3) & ~3;

/** A blocking rtnetlink socket: every request waits for its acknowledgement (the kernel answers at once). */
export class Rtnl {
  private seq = 1;
  private constructor(private readonly fd: number) {}

  /** A socket in this thread's namespace, or in the one at `netnsPath` (entered and left within this call). */
  static open(netnsPath?: string): Rtnl {
    if (!netnsPath) return new Rtnl(check('socket', raw.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0), 'NETLINK_ROUTE'));
    return inNetns(netnsPath, () => Rtnl.open());
  }

  nextSeq(): number {
    return this.seq++;
  }

  /** Sends one request and throws the kernel's error, if any. */
  request(what: string, msg: Buffer): void {
    check('send', raw.send(this.fd, msg, msg.length, 0), what);
    const buf = Buffer.alloc(8192);
    for (;;) {
      const n = check('recv', raw.recv(this.fd, buf, buf.length, 0), what);
      for (let off = 0; off + 16 <= n; ) {
        const len = buf.readUInt32LE(off);
        const type = buf.readUInt16LE(off + 4);
        const seq = buf.readUInt32LE(off + 8);
        if (type === NLMSG_ERROR && seq === msg.readUInt32LE(8)) {
          const err = -buf.readInt32LE(off + 16);
          if (err !== 0) throw new SyscallError('rtnetlink', err, what);
          return;
        }
        if (len < 16) break;
        off += align(len);
      }
    }
  }

  /** A dump request: every reply message until NLMSG_DONE, concatenated. */
  dump(what: string, msg: Buffer): Buffer {
    check('send', raw.send(this.fd, msg, msg.length, 0), what);
    const parts: Buffer[] = [];
    const buf = Buffer.alloc(65536);
    for (;;) {
      const n = check('recv', raw.recv(this.fd, buf, buf.length, 0), what);
      for (let off = 0; off + 16 <= n; ) {
        const len = buf.readUInt32LE(off);
        const type = buf.readUInt16LE(off + 4);
        if (type === NLMSG_DONE) return Buffer.concat(parts);
        if (type === NLMSG_ERROR) {
          const err = -buf.readInt32LE(off + 16);
          if (err !== 0) throw new SyscallError('rtnetlink', err, what);
        }
        if (len < 16) return Buffer.concat(parts);
        parts.push(Buffer.from(buf.subarray(off, off + len)));
        off += align(len);
      }
    }
  }

  close(): void {
    raw.close(this.fd);
  }
}

/** Runs `fn` with a socket in this thread's namespace (or the one at `netnsPath`), closed afterwards. */
export function withRtnl<T>(fn: (rtnl: Rtnl) => T, netnsPath?: string): T {
  const rtnl = Rtnl.open(netnsPath);
  try {
    return fn(rtnl);
  } finally {
    rtnl.close();
  }
}

/** Unmounts (lazily, as `ip netns del`) and removes a namespace file; the namespace dies with its last user. */
export function removeNetnsAt(path: string): void {
  raw.umount2(path, MNT_DETACH);
  check('unlink', raw.unlink(path), path);
}

/** Runs `fn` with this thread in the namespace at `path`, back in its own afterwards, even on failure. */
export function inNetns<T>(path: string, fn: () => T): T {
  const own = check('open', raw.open(OWN_NETNS, O.RDONLY | O.CLOEXEC), OWN_NETNS);
  try {
    const target = check('open', raw.open(path, O.RDONLY | O.CLOEXEC), path);
    try {
      check('setns', raw.setns(target, CLONE.NEWNET), path);
    } finally {
      raw.close(target);
    }
    try {
      return fn();
    } finally {
      check('setns', raw.setns(own, CLONE.NEWNET), 'back to the own network namespace');
    }
  } finally {
    raw.close(own);
  }
}

/**
 * A new network namespace kept by a bind mount at `path` (an existing empty
 * file on a shared mount, as `ip netns add` leaves /run/netns); `inside` runs
 * with a socket in it before this thread goes back to its own.
 */
export function createNetnsAt(path: string, inside: (rtnl: Rtnl) => void): void {
  const own = check('open', raw.open(OWN_NETNS, O.RDONLY | O.CLOEXEC), OWN_NETNS);
  try {
    check('unshare', raw.unshare(CLONE.NEWNET), 'CLONE_NEWNET');
    try {
      check('mount', raw.mount(OWN_NETNS, path, 'none', MS.BIND, null), path);
      withRtnl(inside);
    } finally {
      check('setns', raw.setns(own, CLONE.NEWNET), 'back to the own network namespace');
    }
  } finally {
    raw.close(own);
  }
}

/** Index of an interface in this thread's namespace (0 when there is none). */
export function ifIndex(name: string): number {
  return Number(raw.ifNameToIndex(name));
}

/** Same, in the namespace at `path`. */
export function ifIndexIn(path: string, name: string): number {
  return inNetns(path, () => ifIndex(name));
}

/** Runs `fn` with an open descriptor of the namespace at `path` (for IFLA_NET_NS_FD). */
export function withNetnsFd<T>(path: string, fn: (fd: number) => T): T {
  const fd = check('open', raw.open(path, O.RDONLY | O.CLOEXEC), path);
  try {
    return fn(fd);
  } finally {
    raw.close(fd);
  }
}
