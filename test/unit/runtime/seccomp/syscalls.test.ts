import { it } from 'node:test';
import assert from 'node:assert/strict';
import { X86_64_SYSCALLS } from '../../../../src/runtime/seccomp/syscalls/x86_64.js';
import { I386_SYSCALLS } from '../../../../src/runtime/seccomp/syscalls/i386.js';
import { AARCH64_SYSCALLS } from '../../../../src/runtime/seccomp/syscalls/aarch64.js';

// Numbers are ABI: these never change, so they check the generator's reading of the headers.
it('x86_64 and i386 numbers are the kernel ABI', () => {
  assert.deepEqual([X86_64_SYSCALLS['read'], X86_64_SYSCALLS['clone'], X86_64_SYSCALLS['keyctl'], X86_64_SYSCALLS['seccomp'], X86_64_SYSCALLS['clone3']], [0, 56, 250, 317, 435]);
  assert.deepEqual([I386_SYSCALLS['exit'], I386_SYSCALLS['socketcall'], I386_SYSCALLS['keyctl'], I386_SYSCALLS['socket'], I386_SYSCALLS['clone3']], [1, 102, 288, 359, 435]);
});

it('aarch64 is the generic table with arm64\'s choices: 64-bit names, no legacy calls', () => {
  const nr = (name: string): number | undefined => (Object.hasOwn(AARCH64_SYSCALLS, name) ? AARCH64_SYSCALLS[name] : undefined);
  assert.deepEqual(['io_setup', 'fcntl', 'openat', 'lseek', 'newfstatat', 'fstat', 'keyctl', 'clone', 'mmap', 'fadvise64', 'renameat', 'getrlimit', 'clone3', 'io_uring_setup', 'memfd_secret'].map(nr),
    [0, 25, 56, 62, 79, 80, 219, 220, 222, 223, 38, 163, 435, 425, 447]);
  for (const absent of ['open', 'fork', 'stat', 'epoll_wait', 'fcntl64', 'mmap2', 'llseek', 'sync_file_range2', 'syscalls', 'arch_specific_syscall']) assert.equal(nr(absent), undefined, absent);
});

it('every table gives each number to one name', () => {
  for (const table of [X86_64_SYSCALLS, I386_SYSCALLS, AARCH64_SYSCALLS]) {
    const numbers = Object.values(table);
    assert.equal(new Set(numbers).size, numbers.length);
  }
});
