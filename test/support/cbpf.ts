/**
 * A classic BPF interpreter for seccomp programs, for tests: it first checks
 * a program the way the kernel does before accepting it (bpf_check_classic
 * and seccomp_check_filter), then runs it on a synthetic `struct seccomp_data`.
 * `constantAllow` is the kernel's action-cache test (seccomp_is_const_allow):
 * whether a system call is allowed whatever its arguments, so the kernel
 * stops running the filter for it.
 */

export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer?: bigint;
  /** Up to six 64-bit arguments; missing ones are 0. */
  args?: Array<bigint | number>;
}

export interface RunResult {
  /** The filter's return value (SECCOMP_RET_*). */
  value: number;
  /** Instructions executed, the return included. */
  steps: number;
}

const SECCOMP_DATA_SIZE = 64;
const BPF_MEMWORDS = 16;
const MAX_INSNS = 4096;

// Instruction classes and fields (linux/bpf_common.h).
const cls = (code: number): number => code & 0x07;
const mode = (code: number): number => code & 0xe0;
const op = (code: number): number => code & 0xf0;
const src = (code: number): number => code & 0x08;
const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
const W = 0x00;
const IMM = 0x00, ABS = 0x20, MEM = 0x60, LEN = 0x80;
const ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0;
const JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
const K = 0x00, X = 0x08;
const RET_A = 0x10;
const TAX = 0x00, TXA = 0x80;

export function decode(program: Buffer): Instruction[] {
  if (program.length % 8 !== 0) throw new Error(`program length ${program.length} is not a multiple of 8`);
  const out: Instruction[] = [];
  for (let at = 0; at < program.length; at += 8) {
    out.push({ code: program.readUInt16LE(at), jt: program.readUInt8(at + 2), jf: program.readUInt8(at + 3), k: program.readUInt32LE(at + 4) });
  }
  return out;
}

/** Throws where the kernel would answer EINVAL. */
export function verify(insns: Instruction[]): void {
  const n = insns.length;
  if (n === 0 || n > MAX_INSNS) throw new Error(`program has ${n} instructions (1..${MAX_INSNS})`);
  insns.forEach((insn, pc) => {
    const where = `instruction ${pc} (code 0x${insn.code.toString(16)})`;
    const c = insn.code;
    switch (cls(c)) {
      case LD:
        if (c === (LD | W | ABS)) {
          if (insn.k >= SECCOMP_DATA_SIZE || insn.k % 4 !== 0) throw new Error(`${where}: load outside seccomp_data or unaligned (${insn.k})`);
        } else if (c === (LD | W | MEM)) {
          if (insn.k >= BPF_MEMWORDS) throw new Error(`${where}: scratch word ${insn.k}`);
        } else if (c !== (LD | IMM) && c !== (LD | W | LEN)) {
          throw new Error(`${where}: load mode seccomp does not allow`);
        }
        break;
      case LDX:
        if (c === (LDX | W | MEM)) {
          if (insn.k >= BPF_MEMWORDS) throw new Error(`${where}: scratch word ${insn.k}`);
        } else if (c !== (LDX | IMM) && c !== (LDX | W | LEN)) {
          throw new Error(`${where}: load mode seccomp does not allow`);
        }
        break;
      case ST:
      case STX:
        if (c !== ST && c !== STX) throw new Error(`${where}: unknown store`);
        if (insn.k >= BPF_MEMWORDS) throw new Error(`${where}: scratch word ${insn.k}`);
        break;
      case ALU: {
        const o = op(c);
        if (![ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, NEG, MOD, XOR].includes(o)) throw new Error(`${where}: unknown ALU op`);
        if ((o === DIV || o === MOD) && src(c) === K && insn.k === 0) throw new Error(`${where}: division by constant 0`);
        if ((o === LSH || o === RSH) && src(c) === K && insn.k >= 32) throw new Error(`${where}: shift by ${insn.k}`);
        break;
      }
      case JMP: {
        const o = op(c);
        if (o === JA) {
          if (c !== (JMP | JA)) throw new Error(`${where}: unknown jump`);
          if (insn.k >= n - pc - 1) throw new Error(`${where}: ja past the end`);
        } else {
          if (![JEQ, JGT, JGE, JSET].includes(o)) throw new Error(`${where}: unknown jump`);
          if (pc + insn.jt + 1 >= n || pc + insn.jf + 1 >= n) throw new Error(`${where}: conditional jump past the end`);
        }
        break;
      }
      case RET:
        if (c !== (RET | K) && c !== (RET | RET_A)) throw new Error(`${where}: unknown return`);
        break;
      case MISC:
        if (c !== (MISC | TAX) && c !== (MISC | TXA)) throw new Error(`${where}: unknown misc op`);
        break;
      default:
        throw new Error(`${where}: unknown class`);
    }
  });
  const last = insns[n - 1];
  if (!last || cls(last.code) !== RET) throw new Error('the last instruction is not a return');
}

function seccompData(data: SeccompData): Buffer {
  const b = Buffer.alloc(SECCOMP_DATA_SIZE);
  b.writeInt32LE(data.nr | 0, 0);
  b.writeUInt32LE(data.arch >>> 0, 4);
  b.writeBigUInt64LE(data.instructionPointer ?? 0n, 8);
  (data.args ?? []).forEach((a, i) => b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), 16 + 8 * i));
  return b;
}

export function run(insns: Instruction[], data: SeccompData): RunResult {
  const mem = seccompData(data);
  const scratch = new Uint32Array(BPF_MEMWORDS);
  let a = 0;
  let x = 0;
  let steps = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc];
    if (!insn) break;
    steps++;
    const c = insn.code;
    const operand = src(c) === X ? x : insn.k;
    switch (cls(c)) {
      case LD:
        if (mode(c) === ABS) a = mem.readUInt32LE(insn.k);
        else if (mode(c) === MEM) a = scratch[insn.k] ?? 0;
        else if (mode(c) === LEN) a = SECCOMP_DATA_SIZE;
        else a = insn.k;
        break;
      case LDX:
        if (mode(c) === MEM) x = scratch[insn.k] ?? 0;
        else if (mode(c) === LEN) x = SECCOMP_DATA_SIZE;
        else x = insn.k;
        break;
      case ST: scratch[insn.k] = a; break;
      case STX: scratch[insn.k] = x; break;
      case ALU:
        switch (op(c)) {
          case ADD: a = (a + operand) >>> 0; break;
          case SUB: a = (a - operand) >>> 0; break;
          case MUL: a = Number((BigInt(a) * BigInt(operand)) & 0xffffffffn); break;
          case DIV: a = operand === 0 ? 0 : Math.floor(a / operand) >>> 0; break;
          case MOD: a = operand === 0 ? 0 : (a % operand) >>> 0; break;
          case OR: a = (a | operand) >>> 0; break;
          case AND: a = (a & operand) >>> 0; break;
          case XOR: a = (a ^ operand) >>> 0; break;
          case LSH: a = operand >= 32 ? 0 : (a << operand) >>> 0; break;
          case RSH: a = operand >= 32 ? 0 : a >>> operand; break;
          case NEG: a = (-a) >>> 0; break;
          default: throw new Error(`unknown ALU op at ${pc}`);
        }
        break;
      case JMP: {
        if (op(c) === JA) {
          pc += insn.k;
          break;
        }
        let taken: boolean;
        switch (op(c)) {
          case JEQ: taken = a === operand; break;
          case JGT: taken = a > operand; break;
          case JGE: taken = a >= operand; break;
          case JSET: taken = (a & operand) !== 0; break;
          default: throw new Error(`unknown jump at ${pc}`);
        }
        pc += taken ? insn.jt : insn.jf;
        break;
      }
      case RET:
        return { value: (c === (RET | RET_A) ? a : insn.k) >>> 0, steps };
      case MISC:
        if (c === (MISC | TAX)) x = a;
        else a = x;
        break;
      default:
        throw new Error(`unknown instruction at ${pc}`);
    }
  }
  throw new Error('ran off the end of the program');
}

/**
 * The kernel's seccomp_is_const_allow: follow the program with only nr and
 * arch known; any other load or instruction means "not constant".
 */
export function constantAllow(insns: Instruction[], arch: number, nr: number): boolean {
  let a = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc];
    if (!insn) return false;
    const c = insn.code;
    if (c === (LD | W | ABS)) {
      if (insn.k === 0) a = nr >>> 0;
      else if (insn.k === 4) a = arch >>> 0;
      else return false;
    } else if (c === (RET | K)) {
      return insn.k === 0x7fff0000;
    } else if (c === (JMP | JA)) {
      pc += insn.k;
    } else if (c === (JMP | JEQ | K) || c === (JMP | JGE | K) || c === (JMP | JGT | K) || c === (JMP | JSET | K)) {
      const o = op(c);
      const taken = o === JEQ ? a === insn.k : o === JGE ? a >= insn.k : o === JGT ? a > insn.k : (a & insn.k) !== 0;
      pc += taken ? insn.jt : insn.jf;
    } else if (c === (ALU | AND | K)) {
      a = (a & insn.k) >>> 0;
    } else {
      return false;
    }
  }
  return false;
}

/** SECCOMP_RET_* split into the action and its data, for readable assertions. */
export function actionName(value: number): string {
  const action = (value & 0xffff0000) >>> 0;
  const data = value & 0xffff;
  switch (action) {
    case 0x80000000: return 'KILL_PROCESS';
    case 0x00000000: return 'KILL_THREAD';
    case 0x00030000: return `TRAP(${data})`;
    case 0x00050000: return `ERRNO(${data})`;
    case 0x7fc00000: return 'USER_NOTIF';
    case 0x7ff00000: return `TRACE(${data})`;
    case 0x7ffc0000: return 'LOG';
    case 0x7fff0000: return 'ALLOW';
    default: return `0x${value.toString(16)}`;
  }
}
