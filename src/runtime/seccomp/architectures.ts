/**
 * The ABIs a seccomp program tells apart: the AUDIT_ARCH_* value the kernel
 * puts in `seccomp_data.arch`, the system call table, and the word size of
 * the arguments. A host runs its native ABI and, on x86_64, the i386 compat
 * ABI; the x32 ABI shares AUDIT_ARCH_X86_64 and is told apart by bit 30 of
 * the system call number.
 */
import type { SeccompArchitecture } from './profile.js';
import { AARCH64_SYSCALLS } from './syscalls/aarch64.js';
import { I386_SYSCALLS } from './syscalls/i386.js';
import { X86_64_SYSCALLS } from './syscalls/x86_64.js';

export type HostArchitecture = 'x86_64' | 'aarch64';

export interface Abi {
  name: 'x86_64' | 'i386' | 'aarch64';
  /** AUDIT_ARCH_* (linux/audit.h). */
  auditArch: number;
  syscalls: ReadonlyMap<string, number>;
  /** 32-bit ABIs pass 32-bit arguments: only the low word of each is compared. */
  wordBits: 32 | 64;
}

export const X32_SYSCALL_BIT = 0x40000000;

const X86_64: Abi = { name: 'x86_64', auditArch: 0xc000003e, syscalls: new Map(Object.entries(X86_64_SYSCALLS)), wordBits: 64 };
const I386: Abi = { name: 'i386', auditArch: 0x40000003, syscalls: new Map(Object.entries(I386_SYSCALLS)), wordBits: 32 };
const AARCH64: Abi = { name: 'aarch64', auditArch: 0xc00000b7, syscalls: new Map(Object.entries(AARCH64_SYSCALLS)), wordBits: 64 };

export interface HostAbis {
  native: Abi;
  /** The profile architecture that names the native ABI. */
  nativeName: SeccompArchitecture;
  /** Compat ABIs the compiler builds a branch for, by the profile architecture that asks for them. */
  compat: Partial<Record<SeccompArchitecture, Abi>>;
  /** How moby names the host in `includes.arches` / `excludes.arches` (Go's GOARCH through libseccomp's names). */
  mobyName: string;
}

export function hostAbis(arch: HostArchitecture): HostAbis {
  switch (arch) {
    case 'x86_64':
      return { native: X86_64, nativeName: 'SCMP_ARCH_X86_64', compat: { SCMP_ARCH_X86: I386 }, mobyName: 'amd64' };
    case 'aarch64':
      return { native: AARCH64, nativeName: 'SCMP_ARCH_AARCH64', compat: {}, mobyName: 'arm64' };
    default: {
      const never: never = arch;
      throw new Error(`no seccomp ABI table for ${String(never)}`);
    }
  }
}

/** The host architecture of this Node process, or undefined where tsc-compose has no tables. */
export function hostArchitecture(nodeArch: string): HostArchitecture | undefined {
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'aarch64';
  return undefined;
}

/** A system call's number in an ABI, or undefined where that ABI does not have it. */
export function syscallNumber(abi: Abi, name: string): number | undefined {
  return abi.syscalls.get(name);
}
