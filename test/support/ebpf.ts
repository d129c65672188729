/**
 * An eBPF interpreter for the instructions a cgroup device program uses
 * (32-bit loads from the context, 32-bit AND/RSH/MOV, JEQ/JNE against an
 * immediate or a register, EXIT), with the kernel's semantics: 64-bit
 * registers, 32-bit ALU results zero-extended, immediates sign-extended for
 * 64-bit compares, jumps relative to the next instruction. Anything else,
 * a read outside the 12-byte context, a read of a register never written, a
 * backward jump or running off the end is an error, as the verifier would
 * refuse it. Runs a program on one (type, major, minor, access) input.
 */
const MASK64 = (1n << 64n) - 1n;
const MASK32 = (1n << 32n) - 1n;

/** The context pointer is not a number the program may use: r1 holds this marker until overwritten. */
const CTX = Symbol('ctx');
type Value = bigint | typeof CTX | undefined;

export interface DeviceAccess {
  type: 'b' | 'c';
  major: number;
  minor: number;
  /** Any of r, w, m (open for reading and writing asks for rw; mknod asks for m). */
  access: string;
}

export interface Decoded {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export function decode(program: Buffer): Decoded[] {
  if (program.length % 8 !== 0) throw new Error(`program length ${program.length} is not a whole number of instructions`);
  const out: Decoded[] = [];
  for (let at = 0; at < program.length; at += 8) {
    const regs = program.readUInt8(at + 1);
    out.push({ code: program.readUInt8(at), dst: regs & 0x0f, src: regs >> 4, off: program.readInt16LE(at + 2), imm: program.readInt32LE(at + 4) });
  }
  return out;
}

function context(input: DeviceAccess): Buffer {
  let access = 0;
  for (const ch of input.access) access |= { m: 1, r: 2, w: 4 }[ch as 'm' | 'r' | 'w'];
  const ctx = Buffer.alloc(12);
  ctx.writeUInt32LE(((access << 16) | (input.type === 'b' ? 1 : 2)) >>> 0, 0);
  ctx.writeUInt32LE(input.major, 4);
  ctx.writeUInt32LE(input.minor, 8);
  return ctx;
}

/** The program's return value (1 allows, 0 denies) and how many instructions ran. */
export function runDeviceProgram(program: Buffer, input: DeviceAccess): { result: number; steps: number } {
  const insns = decode(program);
  const ctx = context(input);
  const regs: Value[] = new Array<Value>(11).fill(undefined);
  regs[1] = CTX;
  regs[10] = CTX; // the frame pointer: never read by these programs, but defined for the verifier
  const num = (r: number): bigint => {
    const v = regs[r];
    if (v === undefined) throw new Error(`r${r} read before it was written`);
    if (v === CTX) throw new Error(`r${r} holds the context pointer, not a number`);
    return v;
  };
  const signExtend = (imm: number): bigint => BigInt.asUintN(64, BigInt(imm));
  let pc = 0;
  let steps = 0;
  for (;;) {
    const i = insns[pc];
    if (i === undefined) throw new Error(`ran off the end at instruction ${pc}`);
    steps++;
    let next = pc + 1;
    switch (i.code) {
      case 0x61: {
        if (regs[i.src] !== CTX) throw new Error(`load through r${i.src}, which is not the context pointer`);
        if (i.off < 0 || i.off + 4 > ctx.length || i.off % 4 !== 0) throw new Error(`load at context offset ${i.off}`);
        regs[i.dst] = BigInt(ctx.readUInt32LE(i.off));
        break;
      }
      case 0x54:
        regs[i.dst] = (num(i.dst) & BigInt(i.imm >>> 0)) & MASK32;
        break;
      case 0x74:
        if (i.imm < 0 || i.imm > 31) throw new Error(`32-bit shift by ${i.imm}`);
        regs[i.dst] = (num(i.dst) & MASK32) >> BigInt(i.imm);
        break;
      case 0xbc:
        regs[i.dst] = num(i.src) & MASK32;
        break;
      case 0xb4:
        regs[i.dst] = BigInt(i.imm >>> 0);
        break;
      case 0x15:
      case 0x55: {
        const equal = (num(i.dst) & MASK64) === signExtend(i.imm);
        if (equal === (i.code === 0x15)) next = pc + 1 + i.off;
        break;
      }
      case 0x5d:
        if (num(i.dst) !== num(i.src)) next = pc + 1 + i.off;
        break;
      case 0x95:
        return { result: Number(num(0) & MASK32), steps };
      default:
        throw new Error(`instruction ${pc}: opcode 0x${i.code.toString(16)} is not one a device program needs`);
    }
    if (next <= pc) throw new Error(`instruction ${pc}: jump backwards to ${next}`);
    pc = next;
  }
}
