/**
 * A classic BPF assembler for seccomp programs: instructions with symbolic
 * jump targets in, `struct sock_filter[]` bytes out. Conditional jumps reach
 * at most 255 instructions ahead; a farther target gets a trampoline (an
 * unconditional `ja`, which reaches 2^32) placed right after the jump.
 */
import { TscComposeError } from '../../errors/index.js';

/** Opcodes (linux/bpf_common.h) of the instructions the compiler emits. */
export const BPF = {
  LD_W_ABS: 0x20,
  ALU_AND_K: 0x54,
  JA: 0x05,
  JEQ_K: 0x15,
  JGT_K: 0x25,
  JGE_K: 0x35,
  JSET_K: 0x45,
  RET_K: 0x06,
} as const;

/** BPF_MAXINSNS: the kernel refuses longer programs. */
export const MAX_INSTRUCTIONS = 4096;

/** Size of one `struct sock_filter` (u16 code, u8 jt, u8 jf, u32 k). */
export const INSTRUCTION_SIZE = 8;

export class Label {
  /** Index of the item the label stands before; set by `place`. */
  at = -1;
}

type Item =
  | { kind: 'plain'; code: number; k: number }
  | { kind: 'jump'; code: number; k: number; jt: Label; jf: Label }
  | { kind: 'ja'; target: Label };

export class Assembler {
  private readonly items: Item[] = [];

  label(): Label {
    return new Label();
  }

  /** The next instruction emitted is where `label` points. */
  place(label: Label): void {
    if (label.at !== -1) throw new Error('BPF label placed twice');
    label.at = this.items.length;
  }

  /** A label for the instruction emitted next. */
  here(): Label {
    const l = new Label();
    this.place(l);
    return l;
  }

  load(offset: number): void {
    this.items.push({ kind: 'plain', code: BPF.LD_W_ABS, k: offset });
  }

  and(mask: number): void {
    this.items.push({ kind: 'plain', code: BPF.ALU_AND_K, k: mask >>> 0 });
  }

  ret(value: number): void {
    this.items.push({ kind: 'plain', code: BPF.RET_K, k: value >>> 0 });
  }

  /** `if (A <op> k) goto jt else goto jf`, op one of JEQ_K, JGT_K, JGE_K, JSET_K. */
  jump(code: number, k: number, jt: Label, jf: Label): void {
    this.items.push({ kind: 'jump', code, k: k >>> 0, jt, jf });
  }

  goto(target: Label): void {
    this.items.push({ kind: 'ja', target });
  }

  /** The program: labels resolved, far conditional branches routed through trampolines. */
  assemble(): Buffer {
    const items = this.items;
    for (const item of items) {
      if (item.kind === 'jump' && (item.jt.at === -1 || item.jf.at === -1)) throw new Error('BPF jump to a label never placed');
      if (item.kind === 'ja' && item.target.at === -1) throw new Error('BPF jump to a label never placed');
    }
    // Trampolines only ever lengthen jumps, so marking them until nothing changes terminates.
    const farTrue = new Array<boolean>(items.length).fill(false);
    const farFalse = new Array<boolean>(items.length).fill(false);
    let address: number[] = [];
    for (;;) {
      address = [];
      let pc = 0;
      for (let i = 0; i < items.length; i++) {
        address.push(pc);
        pc += 1 + (farTrue[i] ? 1 : 0) + (farFalse[i] ? 1 : 0);
      }
      address.push(pc);
      let changed = false;
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (item?.kind !== 'jump') continue;
        const next = (address[i] ?? 0) + 1;
        if (!farTrue[i] && (address[item.jt.at] ?? 0) - next > 255) farTrue[i] = changed = true;
        if (!farFalse[i] && (address[item.jf.at] ?? 0) - next > 255) farFalse[i] = changed = true;
      }
      if (!changed) break;
    }
    const length = address[items.length] ?? 0;
    if (length > MAX_INSTRUCTIONS) {
      throw new TscComposeError('TSC_SECCOMP_PROFILE', `the seccomp program would have ${length} instructions; the kernel takes at most ${MAX_INSTRUCTIONS}`);
    }
    const out = Buffer.alloc(length * INSTRUCTION_SIZE);
    let pc = 0;
    const put = (code: number, jt: number, jf: number, k: number): void => {
      out.writeUInt16LE(code, pc * INSTRUCTION_SIZE);
      out.writeUInt8(jt, pc * INSTRUCTION_SIZE + 2);
      out.writeUInt8(jf, pc * INSTRUCTION_SIZE + 3);
      out.writeUInt32LE(k, pc * INSTRUCTION_SIZE + 4);
      pc++;
    };
    const forward = (from: number, target: Label): number => {
      const distance = (address[target.at] ?? 0) - (from + 1);
      // BPF has no backward jumps; the compiler never asks for one.
      if (distance < 0) throw new Error('BPF jump backwards');
      return distance;
    };
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (!item) continue;
      const at = address[i] ?? 0;
      switch (item.kind) {
        case 'plain':
          put(item.code, 0, 0, item.k);
          break;
        case 'ja':
          put(BPF.JA, 0, 0, forward(at, item.target));
          break;
        case 'jump': {
          // Trampolines follow the jump in this order: the true branch's, then the false branch's.
          const trueSlot = farTrue[i] ? 0 : -1;
          const falseSlot = farFalse[i] ? (farTrue[i] ? 1 : 0) : -1;
          put(item.code, trueSlot >= 0 ? trueSlot : forward(at, item.jt), falseSlot >= 0 ? falseSlot : forward(at, item.jf), item.k);
          if (farTrue[i]) put(BPF.JA, 0, 0, forward(at + 1, item.jt));
          if (farFalse[i]) put(BPF.JA, 0, 0, forward(at + 1 + (farTrue[i] ? 1 : 0), item.jf));
          break;
        }
        default: {
          const never: never = item;
          throw new Error(`unknown BPF item ${JSON.stringify(never)}`);
        }
      }
    }
    return out;
  }
}

const MNEMONICS: Record<number, string> = {
  [BPF.LD_W_ABS]: 'ld',
  [BPF.ALU_AND_K]: 'and',
  [BPF.JA]: 'ja',
  [BPF.JEQ_K]: 'jeq',
  [BPF.JGT_K]: 'jgt',
  [BPF.JGE_K]: 'jge',
  [BPF.JSET_K]: 'jset',
  [BPF.RET_K]: 'ret',
};

/** One line per instruction, jump targets as absolute line numbers (as libseccomp's scmp_bpf_disasm prints). */
export function disassemble(filter: Buffer): string[] {
  const lines: string[] = [];
  for (let pc = 0; pc * INSTRUCTION_SIZE < filter.length; pc++) {
    const at = pc * INSTRUCTION_SIZE;
    const code = filter.readUInt16LE(at);
    const jt = filter.readUInt8(at + 2);
    const jf = filter.readUInt8(at + 3);
    const k = filter.readUInt32LE(at + 4);
    const name = MNEMONICS[code] ?? `0x${code.toString(16).padStart(4, '0')}`;
    const hex = `0x${k.toString(16).padStart(8, '0')}`;
    let text: string;
    if (code === BPF.LD_W_ABS) text = `${name} [${k}]`;
    else if (code === BPF.JA) text = `${name} ${pc + 1 + k}`;
    else if (code === BPF.JEQ_K || code === BPF.JGT_K || code === BPF.JGE_K || code === BPF.JSET_K) text = `${name} ${hex} true:${pc + 1 + jt} false:${pc + 1 + jf}`;
    else text = `${name} ${hex}`;
    lines.push(`${String(pc).padStart(4, '0')}: ${text}`);
  }
  return lines;
}
