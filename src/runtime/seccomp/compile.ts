/**
 * A seccomp profile, the container's capabilities, the host's architecture
 * and kernel version → the classic BPF program the kernel runs on every
 * system call. Pure. It decides what runc with libseccomp decides for the
 * same profile (moby's rule selection, runc's ENOSYS for system calls newer
 * than the profile, libseccomp's architecture check), except that the x32
 * ABI is never allowed and a foreign architecture kills the whole process.
 *
 * Shape of the program, per ABI the profile lists (native first):
 *
 *   ld arch; jeq AUDIT_ARCH_<abi> → <abi>; ...; ret KILL_PROCESS
 *   <abi>: ld nr; a balanced tree of `jge` over the number line, whose
 *          leaves return a constant or test arguments for one system call
 *
 * The number line is cut into runs with one outcome: allowed, the default,
 * ENOSYS past the highest number the profile names, x32 numbers killed.
 * Only loads of nr/arch, jumps with constants and returns lie on the path to
 * an unconditional ALLOW, so the kernel's action cache (5.11+) proves those
 * system calls allowed once and then skips the filter for them.
 */
import { Assembler, BPF, INSTRUCTION_SIZE } from './bpf.js';
import type { Label } from './bpf.js';
import { CAPABILITIES } from '../capabilities.js';
import { isIntArgument } from './argument-widths.js';
import { X32_SYSCALL_BIT, hostAbis, syscallNumber } from './architectures.js';
import type { Abi, HostArchitecture } from './architectures.js';
import { SECCOMP_FLAGS } from './profile.js';
import type { KernelVersion, SeccompAction, SeccompArgument, SeccompArchitecture, SeccompCondition, SeccompProfile, SeccompRule } from './profile.js';

export interface SeccompTarget {
  arch: HostArchitecture;
  /** The container's bounding set (bit N = capability N); `includes.caps` / `excludes.caps` look here, as moby does. */
  capabilities: bigint;
  /** The running kernel (os.release()), for `minKernel`. */
  kernel: KernelVersion;
}

export interface SeccompProgram {
  /** `struct sock_filter[]` in the host's byte order: `sock_fprog.filter`, with `sock_fprog.len` = `instructions`. */
  filter: Buffer;
  instructions: number;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog). */
  flags: number;
  /** The ABIs the program has a branch for; every other one is killed. */
  abis: Array<Abi['name']>;
}

/** SECCOMP_RET_* (linux/seccomp.h). */
const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

const EPERM = 1;
const ENOSYS = 38;
const WORD_MAX = 0xffffffff;

/** Offsets in `struct seccomp_data`: nr, arch, instruction_pointer, args[6] (64-bit each, low word first on LE hosts). */
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const argLowOffset = (index: number): number => 16 + 8 * index;

/** runc's mapping (libcontainer/seccomp getAction): ERRNO and TRACE default to EPERM; KILL is KILL_THREAD. */
function actionValue(action: SeccompAction, data: number | undefined): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW': return RET.ALLOW;
    case 'SCMP_ACT_ERRNO': return (RET.ERRNO | ((data ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return RET.TRAP;
    case 'SCMP_ACT_TRACE': return (RET.TRACE | ((data ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_LOG': return RET.LOG;
    default: {
      const never: never = action;
      throw new Error(`unknown seccomp action ${String(never)}`);
    }
  }
}

/** The kernel's version from its release string (`os.release()`: "6.18.44-fc-v1098" → 6.18), as moby reads it. */
export function kernelVersionOf(release: string): KernelVersion {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) throw new Error(`cannot read a kernel version from "${release}"`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

function atLeast(kernel: KernelVersion, min: KernelVersion): boolean {
  return kernel.major > min.major || (kernel.major === min.major && kernel.minor >= min.minor);
}

/** moby's setupSeccomp: an `excludes` that matches drops the rule, an `includes` that does not match drops it. */
function ruleApplies(rule: SeccompRule, arch: string, caps: ReadonlySet<string>, kernel: KernelVersion): boolean {
  const ex: SeccompCondition | undefined = rule.excludes;
  if (ex) {
    if (ex.arches.includes(arch)) return false;
    if (ex.caps.some((c) => caps.has(c))) return false;
    if (ex.minKernel && atLeast(kernel, ex.minKernel)) return false;
  }
  const inc: SeccompCondition | undefined = rule.includes;
  if (inc) {
    if (inc.arches.length && !inc.arches.includes(arch)) return false;
    if (!inc.caps.every((c) => caps.has(c))) return false;
    if (inc.minKernel && !atLeast(kernel, inc.minKernel)) return false;
  }
  return true;
}

function capabilityNames(mask: bigint): Set<string> {
  const out = new Set<string>();
  CAPABILITIES.forEach((name, bit) => {
    if (mask & (1n << BigInt(bit))) out.add(name);
  });
  return out;
}

/** The profile's architectures as moby expands them for this host: the flat list, or the host's `archMap` entry. */
function listedArchitectures(profile: SeccompProfile, native: SeccompArchitecture): Set<SeccompArchitecture> {
  if (profile.architectures.length) return new Set(profile.architectures);
  const entry = profile.archMap.find((a) => a.architecture === native);
  return new Set(entry ? [entry.architecture, ...entry.subArchitectures] : []);
}

/** One argument test, at the width the kernel reads that argument (see argument-widths.ts). */
interface Condition {
  arg: SeccompArgument;
  wordBits: 32 | 64;
}

interface ConditionalRule {
  action: number;
  /** All must hold (AND); rules are tried in profile order. */
  conditions: Condition[];
}

interface SyscallPlan {
  /** An unconditional rule's action; it overrides every conditional rule, as in libseccomp. */
  unconditional?: number;
  conditional: ConditionalRule[];
}

type Outcome = { kind: 'ret'; value: number } | { kind: 'rules'; plan: SyscallPlan };

interface Run {
  /** First system call number of the run; it lasts until the next run's. */
  from: number;
  outcome: Outcome;
}

/**
 * runc's matchCall: a rule with two conditions on one argument becomes one
 * rule per condition (OR, libseccomp's old behaviour); otherwise its
 * conditions must all hold.
 */
function splitConditions(args: SeccompArgument[]): SeccompArgument[][] {
  const indexes = new Set(args.map((a) => a.index));
  return indexes.size < args.length ? args.map((a) => [a]) : [args];
}

interface AbiPlan {
  /** By system call number; most numbers have none. */
  plans: Array<SyscallPlan | undefined>;
  /** Highest number any applicable rule names in this ABI (-1: none), whatever its action. */
  highest: number;
}

function planAbi(abi: Abi, rules: SeccompRule[], defaultValue: number): AbiPlan {
  const plans: Array<SyscallPlan | undefined> = [];
  let highest = -1;
  for (const rule of rules) {
    const action = actionValue(rule.action, rule.errnoRet);
    for (const name of rule.names) {
      const nr = syscallNumber(abi, name);
      // A name this ABI does not have is skipped, as libseccomp does.
      if (nr === undefined) continue;
      highest = Math.max(highest, nr);
      // runc drops rules that only restate the default action.
      if (action === defaultValue) continue;
      let plan = plans[nr];
      if (!plan) plans[nr] = plan = { conditional: [] };
      if (plan.unconditional !== undefined) continue;
      if (rule.args.length === 0) {
        plan.unconditional = action;
        plan.conditional = [];
        continue;
      }
      for (const args of splitConditions(rule.args)) {
        const conditions = args.map((arg): Condition => ({ arg, wordBits: abi.wordBits === 32 || isIntArgument(name, arg.index) ? 32 : 64 }));
        plan.conditional.push({ action, conditions });
      }
    }
  }
  return { plans, highest };
}

function runs(abi: Abi, { plans, highest }: AbiPlan, defaultValue: number, enosysPastHighest: boolean): Run[] {
  const out: Run[] = [];
  const push = (from: number, outcome: Outcome): void => {
    const last = out.at(-1);
    if (last && last.outcome.kind === 'ret' && outcome.kind === 'ret' && last.outcome.value === outcome.value) return;
    out.push({ from, outcome });
  };
  const dflt: Outcome = { kind: 'ret', value: defaultValue };
  let next = 0;
  for (let nr = 0; nr < plans.length; nr++) {
    const plan = plans[nr];
    if (!plan) continue;
    if (nr > next) push(next, dflt);
    push(nr, plan.unconditional !== undefined ? { kind: 'ret', value: plan.unconditional } : { kind: 'rules', plan });
    next = nr + 1;
  }
  const enosysFrom = enosysPastHighest && highest >= 0 ? highest + 1 : undefined;
  if (enosysFrom === undefined || next < enosysFrom) push(next, dflt);
  if (enosysFrom !== undefined) push(enosysFrom, { kind: 'ret', value: (RET.ERRNO | ENOSYS) >>> 0 });
  if (abi.name === 'x86_64') {
    // libseccomp without SCMP_ARCH_X32: x32 numbers are a foreign ABI, except -1, which a tracer sets to skip a call.
    push(X32_SYSCALL_BIT, { kind: 'ret', value: RET.KILL_PROCESS });
    push(WORD_MAX, dflt);
  }
  return out;
}

const lowWord = (v: bigint): number => Number(v & 0xffffffffn);
const highWord = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);

type Static = 'pass' | 'fail' | 'low';

/**
 * What the high word decides without looking. A 32-bit argument has none:
 * its low word is compared with the value's low word (libseccomp truncates
 * values the same way on 32-bit ABIs, and a sign-extended -1 stays -1). A
 * masked comparison with a zero high mask does not depend on it either.
 * undefined: the program has to test it.
 */
function highStatic(arg: SeccompArgument, wordBits: 32 | 64): Static | undefined {
  if (wordBits === 32) return 'low';
  if (arg.op !== 'SCMP_CMP_MASKED_EQ') return undefined;
  const mask = highWord(arg.value);
  const want = highWord(arg.valueTwo);
  if ((want & ~mask) !== 0) return 'fail';
  if (mask === 0) return want === 0 ? 'low' : 'fail';
  return undefined;
}

/** What the low word's test always gives, when it does not depend on the argument. */
function lowStatic(arg: SeccompArgument): 'pass' | 'fail' | undefined {
  const v = lowWord(arg.value);
  switch (arg.op) {
    case 'SCMP_CMP_GT': return v === WORD_MAX ? 'fail' : undefined;
    case 'SCMP_CMP_GE': return v === 0 ? 'pass' : undefined;
    case 'SCMP_CMP_LT': return v === 0 ? 'fail' : undefined;
    case 'SCMP_CMP_LE': return v === WORD_MAX ? 'pass' : undefined;
    case 'SCMP_CMP_EQ':
    case 'SCMP_CMP_NE': return undefined;
    case 'SCMP_CMP_MASKED_EQ': {
      const want = lowWord(arg.valueTwo);
      if ((want & ~v) !== 0) return 'fail';
      return v === 0 ? 'pass' : undefined;
    }
    default: {
      const never: never = arg.op;
      throw new Error(`unknown seccomp operator ${String(never)}`);
    }
  }
}

/** true / false when the condition holds for every / no argument value. */
function constantCondition(arg: SeccompArgument, wordBits: 32 | 64): boolean | undefined {
  const high = highStatic(arg, wordBits);
  if (high === 'pass') return true;
  if (high === 'fail') return false;
  if (high === undefined) return undefined;
  const low = lowStatic(arg);
  return low === undefined ? undefined : low === 'pass';
}

/** Tests one argument condition (64-bit unsigned, as libseccomp compares): jumps to `pass` or `fail`, never falls through. */
function emitCondition(asm: Assembler, arg: SeccompArgument, wordBits: 32 | 64, pass: Label, fail: Label): void {
  const lowOffset = argLowOffset(arg.index);
  const low = lowStatic(arg);
  const lowLabel = low === 'pass' ? pass : low === 'fail' ? fail : asm.label();
  if (highStatic(arg, wordBits) === undefined) {
    const vh = highWord(arg.value);
    asm.load(lowOffset + 4);
    switch (arg.op) {
      case 'SCMP_CMP_MASKED_EQ':
        if (vh !== WORD_MAX) asm.and(vh);
        asm.jump(BPF.JEQ_K, highWord(arg.valueTwo), lowLabel, fail);
        break;
      case 'SCMP_CMP_EQ':
        asm.jump(BPF.JEQ_K, vh, lowLabel, fail);
        break;
      case 'SCMP_CMP_NE':
        asm.jump(BPF.JEQ_K, vh, lowLabel, pass);
        break;
      case 'SCMP_CMP_GT':
      case 'SCMP_CMP_GE':
      case 'SCMP_CMP_LT':
      case 'SCMP_CMP_LE': {
        const upward = arg.op === 'SCMP_CMP_GT' || arg.op === 'SCMP_CMP_GE';
        const above = upward ? pass : fail;
        const below = upward ? fail : pass;
        if (vh === WORD_MAX) {
          asm.jump(BPF.JEQ_K, vh, lowLabel, below);
        } else if (vh === 0) {
          asm.jump(BPF.JGT_K, vh, above, lowLabel);
        } else {
          const equalTest = asm.label();
          asm.jump(BPF.JGT_K, vh, above, equalTest);
          asm.place(equalTest);
          asm.jump(BPF.JEQ_K, vh, lowLabel, below);
        }
        break;
      }
      default: {
        const never: never = arg.op;
        throw new Error(`unknown seccomp operator ${String(never)}`);
      }
    }
  }
  if (low !== undefined) return;
  asm.place(lowLabel);
  asm.load(lowOffset);
  const vl = lowWord(arg.value);
  switch (arg.op) {
    case 'SCMP_CMP_EQ': asm.jump(BPF.JEQ_K, vl, pass, fail); break;
    case 'SCMP_CMP_NE': asm.jump(BPF.JEQ_K, vl, fail, pass); break;
    case 'SCMP_CMP_GT': asm.jump(BPF.JGT_K, vl, pass, fail); break;
    case 'SCMP_CMP_GE': asm.jump(BPF.JGE_K, vl, pass, fail); break;
    case 'SCMP_CMP_LT': asm.jump(BPF.JGE_K, vl, fail, pass); break;
    case 'SCMP_CMP_LE': asm.jump(BPF.JGT_K, vl, fail, pass); break;
    case 'SCMP_CMP_MASKED_EQ':
      if (vl !== WORD_MAX) asm.and(vl);
      asm.jump(BPF.JEQ_K, lowWord(arg.valueTwo), pass, fail);
      break;
    default: {
      const never: never = arg.op;
      throw new Error(`unknown seccomp operator ${String(never)}`);
    }
  }
}

/** One system call's conditional rules, first match wins; none: the default action. */
function emitRules(asm: Assembler, plan: SyscallPlan, defaultValue: number): void {
  for (const rule of plan.conditional) {
    const constants = rule.conditions.map((c) => constantCondition(c.arg, c.wordBits));
    if (constants.includes(false)) continue;
    const tests = rule.conditions.filter((_, i) => constants[i] === undefined);
    if (tests.length === 0) {
      asm.ret(rule.action);
      return;
    }
    const nextRule = asm.label();
    for (const test of tests) {
      const pass = asm.label();
      emitCondition(asm, test.arg, test.wordBits, pass, nextRule);
      asm.place(pass);
    }
    asm.ret(rule.action);
    asm.place(nextRule);
  }
  asm.ret(defaultValue);
}

/** A balanced search over the runs (the accumulator holds nr): depth log2 of their count. */
function emitSearch(asm: Assembler, list: Run[], from: number, to: number, defaultValue: number): void {
  if (to - from === 1) {
    const run = list[from];
    if (!run) throw new Error('empty seccomp run');
    if (run.outcome.kind === 'ret') asm.ret(run.outcome.value);
    else emitRules(asm, run.outcome.plan, defaultValue);
    return;
  }
  const mid = (from + to) >> 1;
  const upper = asm.label();
  const lower = asm.label();
  asm.jump(BPF.JGE_K, list[mid]?.from ?? 0, upper, lower);
  asm.place(lower);
  emitSearch(asm, list, from, mid, defaultValue);
  asm.place(upper);
  emitSearch(asm, list, mid, to, defaultValue);
}

export function compileSeccompProfile(profile: SeccompProfile, target: SeccompTarget): SeccompProgram {
  const host = hostAbis(target.arch);
  const listed = listedArchitectures(profile, host.nativeName);
  // The native ABI is always filtered (libseccomp's filter starts with it); a compat ABI only when listed.
  const abis: Abi[] = [host.native];
  for (const [name, abi] of Object.entries(host.compat)) if (listed.has(name as SeccompArchitecture)) abis.push(abi);

  const caps = capabilityNames(target.capabilities);
  const rules = profile.rules.filter((r) => ruleApplies(r, host.mobyName, caps, target.kernel));
  const defaultValue = actionValue(profile.defaultAction, profile.defaultErrnoRet);
  // runc's ENOSYS stub: system calls newer than the profile fail as unknown (so libc falls back), unless the
  // default already lets everything through or already says ENOSYS.
  const permissive = profile.defaultAction === 'SCMP_ACT_ALLOW' || profile.defaultAction === 'SCMP_ACT_LOG' || profile.defaultAction === 'SCMP_ACT_TRACE';
  const enosys = !permissive && defaultValue !== ((RET.ERRNO | ENOSYS) >>> 0);

  const asm = new Assembler();
  asm.load(OFFSET_ARCH);
  const entries = abis.map((abi) => {
    const entry = asm.label();
    const next = asm.label();
    asm.jump(BPF.JEQ_K, abi.auditArch, entry, next);
    asm.place(next);
    return entry;
  });
  asm.ret(RET.KILL_PROCESS);
  abis.forEach((abi, i) => {
    const entry = entries[i];
    if (!entry) return;
    asm.place(entry);
    asm.load(OFFSET_NR);
    const list = runs(abi, planAbi(abi, rules, defaultValue), defaultValue, enosys);
    emitSearch(asm, list, 0, list.length, defaultValue);
  });
  const filter = asm.assemble();
  const flags = profile.flags.reduce((f, name) => f | SECCOMP_FLAGS[name], 0);
  return { filter, instructions: filter.length / INSTRUCTION_SIZE, flags, abis: abis.map((a) => a.name) };
}
