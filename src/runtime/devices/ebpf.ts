/**
 * The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program, as
 * bytes, made from a device policy. Its shape is runc's
 * (libcontainer/cgroups/devices/devicefilter.go, itself from crun's ebpf.c):
 * read the device type, the requested access, major and minor from the
 * context into r2..r5, then one block per exception that falls through to
 * the next block on the first mismatch and otherwise returns the
 * exception's verdict, and a last block returning the default. Only forward
 * jumps, so the verifier has no loop to prove. Pure.
 *
 * One deliberate difference from runc: an exception that denies (default
 * allow, i.e. a privileged list with deny rules after it) matches a request
 * that asks for any of its access bits, as the v1 kernel does
 * (match_exception_partial), where runc's program asks for all of them; an
 * exception that allows matches only when it grants every bit asked for.
 */
import { ACCESS_ALL, type DeviceException, type DevicePolicy } from './rules.js';

/** struct bpf_cgroup_dev_ctx: u32 access_type (access << 16 | type), u32 major, u32 minor. */
const CTX = { accessType: 0, major: 4, minor: 8 } as const;
/** BPF_DEVCG_DEV_* in the low half of access_type. */
const DEV_TYPE = { b: 1, c: 2 } as const;

/** The license string the program is loaded with; no GPL-only helper is called. runc uses the same. */
export const DEVICE_PROGRAM_LICENSE = 'Apache';

/** Opcodes used (linux/bpf.h, linux/bpf_common.h): class | op | source. */
const OP = {
  /** BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off) */
  LDX_W: 0x61,
  /** BPF_ALU | BPF_AND | BPF_K: dst32 &= imm */
  AND32_K: 0x54,
  /** BPF_ALU | BPF_RSH | BPF_K: dst32 >>= imm */
  RSH32_K: 0x74,
  /** BPF_ALU | BPF_MOV | BPF_X: dst32 = src32 */
  MOV32_X: 0xbc,
  /** BPF_ALU | BPF_MOV | BPF_K: dst32 = imm */
  MOV32_K: 0xb4,
  /** BPF_JMP | BPF_JNE | BPF_K: if dst != imm goto pc + 1 + off */
  JNE_K: 0x55,
  /** BPF_JMP | BPF_JEQ | BPF_K: if dst == imm goto pc + 1 + off */
  JEQ_K: 0x15,
  /** BPF_JMP | BPF_JNE | BPF_X: if dst != src goto pc + 1 + off */
  JNE_X: 0x5d,
  /** BPF_JMP | BPF_EXIT: return r0 */
  EXIT: 0x95,
} as const;

const INSN_SIZE = 8;

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** A jump to the next block, whose offset is known once the block is complete. */
const NEXT_BLOCK = Symbol('next block');
type Pending = Omit<Insn, 'off'> & { off: number | typeof NEXT_BLOCK };

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });
const toNextBlock = (code: number, dst: number, src: number, imm: number): Pending => ({ code, dst, src, off: NEXT_BLOCK, imm });

const PROLOGUE: readonly Insn[] = [
  insn(OP.LDX_W, 2, 1, CTX.accessType, 0),
  insn(OP.AND32_K, 2, 0, 0, 0xffff), // r2: device type
  insn(OP.LDX_W, 3, 1, CTX.accessType, 0),
  insn(OP.RSH32_K, 3, 0, 0, 16), // r3: access asked for
  insn(OP.LDX_W, 4, 1, CTX.major, 0), // r4: major
  insn(OP.LDX_W, 5, 1, CTX.minor, 0), // r5: minor
];

const verdict = (allow: boolean): Insn[] => [insn(OP.MOV32_K, 0, 0, 0, allow ? 1 : 0), insn(OP.EXIT, 0, 0, 0, 0)];

function exceptionBlock(e: DeviceException, allow: boolean): Insn[] {
  const block: Pending[] = [toNextBlock(OP.JNE_K, 2, 0, DEV_TYPE[e.type])];
  if (e.access !== ACCESS_ALL) {
    // r1 (the context pointer, no longer needed) = asked & granted
    block.push(insn(OP.MOV32_X, 1, 3, 0, 0), insn(OP.AND32_K, 1, 0, 0, e.access));
    // allow: every bit asked for is granted; deny: any bit asked for is denied
    block.push(allow ? toNextBlock(OP.JNE_X, 1, 3, 0) : toNextBlock(OP.JEQ_K, 1, 0, 0));
  }
  if (e.major !== undefined) block.push(toNextBlock(OP.JNE_K, 4, 0, e.major));
  if (e.minor !== undefined) block.push(toNextBlock(OP.JNE_K, 5, 0, e.minor));
  block.push(...verdict(allow));
  return block.map((p, i) => ({ ...p, off: p.off === NEXT_BLOCK ? block.length - i - 1 : p.off }));
}

function encode(insns: Insn[]): Buffer {
  const out = Buffer.alloc(insns.length * INSN_SIZE);
  insns.forEach((i, n) => {
    const at = n * INSN_SIZE;
    out.writeUInt8(i.code, at);
    out.writeUInt8((i.src << 4) | i.dst, at + 1);
    out.writeInt16LE(i.off, at + 2);
    out.writeInt32LE(i.imm, at + 4);
  });
  return out;
}

/**
 * The program for a policy, in the byte order of this machine (little
 * endian: x86_64 and aarch64 are the architectures sys/ supports). Each
 * exception returns the opposite of the default, so their order does not
 * matter.
 */
export function deviceProgram(policy: DevicePolicy): Buffer {
  const insns: Insn[] = [...PROLOGUE];
  for (const e of policy.exceptions) insns.push(...exceptionBlock(e, !policy.defaultAllow));
  insns.push(...verdict(policy.defaultAllow));
  return encode(insns);
}
