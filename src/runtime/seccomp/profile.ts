/**
 * Docker's seccomp profile format (moby/profiles `seccomp.Seccomp`: the OCI
 * `LinuxSeccomp` plus `archMap` and conditional `includes`/`excludes`), read
 * and checked. Pure: the text comes in, a typed profile or an error naming the
 * profile and the key path inside it comes out. What the compiler does not
 * implement (user notification) is refused here, never dropped.
 */
import { z } from 'zod';
import { TscComposeError } from '../../errors/index.js';
import { CAPABILITIES } from '../capabilities.js';
import dockerDefaultJson from './docker-default.json' with { type: 'json' };

export const SECCOMP_ACTIONS = [
  'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG',
] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

const OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'] as const;
export type SeccompOperator = (typeof OPERATORS)[number];

/** Every architecture the OCI runtime spec names; which of them a host can run is the compiler's business. */
const ARCHITECTURES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64',
] as const;
export type SeccompArchitecture = (typeof ARCHITECTURES)[number];

/** seccomp(2) flags a profile may ask for, by their bit in SECCOMP_SET_MODE_FILTER's flags argument. */
export const SECCOMP_FLAGS = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
} as const;
type SeccompFlag = keyof typeof SECCOMP_FLAGS;

export interface KernelVersion {
  major: number;
  minor: number;
}

export interface SeccompArgument {
  index: number;
  value: bigint;
  valueTwo: bigint;
  op: SeccompOperator;
}

/** A rule's condition on the container and host: every cap of `caps`, one of `arches`, a kernel at least `minKernel`. */
export interface SeccompCondition {
  /** Capability names without `CAP_`, as in capabilities.ts. */
  caps: string[];
  /** Architectures as moby names the host (`amd64`, `arm64`, `x86`, ...). */
  arches: string[];
  minKernel?: KernelVersion | undefined;
}

export interface SeccompRule {
  names: string[];
  action: SeccompAction;
  /** ERRNO's errno or TRACE's message number, when given. */
  errnoRet?: number | undefined;
  args: SeccompArgument[];
  includes?: SeccompCondition | undefined;
  excludes?: SeccompCondition | undefined;
  /** Where the rule is in the profile (`syscalls.3`), for messages. */
  keyPath: string;
}

export interface SeccompProfile {
  /** The profile's file (or `docker-default`), for messages. */
  source: string;
  defaultAction: SeccompAction;
  defaultErrnoRet?: number | undefined;
  /** Either the flat list or, for the host's architecture, its entry of `archMap`; the compiler picks. */
  architectures: SeccompArchitecture[];
  archMap: Array<{ architecture: SeccompArchitecture; subArchitectures: SeccompArchitecture[] }>;
  flags: SeccompFlag[];
  rules: SeccompRule[];
}

/** Where an error about the profile should point in the Compose file (the `security_opt` entry that named it). */
export interface ProfileContext {
  service?: string | undefined;
  keyPath?: string | undefined;
}

const MAX_U64 = (1n << 64n) - 1n;

const u64 = z.union([
  z.number().int().nonnegative().refine(Number.isSafeInteger, 'not an exact integer: write it with fewer digits or as a string'),
  z.string().regex(/^\d+$/, 'expected an unsigned integer'),
]).transform((v) => BigInt(v)).refine((v) => v <= MAX_U64, 'larger than 64 bits');

const errnoRet = z.number().int().min(0).max(0xffff).nullish();

const condition = z.strictObject({
  caps: z.array(z.string()).nullish(),
  arches: z.array(z.string().min(1)).nullish(),
  minKernel: z.string().nullish(),
}).nullish();

const schema = z.strictObject({
  defaultAction: z.string({ error: 'required: the action for system calls no rule names (for no filter at all use `seccomp=unconfined`)' }),
  defaultErrnoRet: errnoRet,
  architectures: z.array(z.enum(ARCHITECTURES)).nullish(),
  archMap: z.array(z.strictObject({
    architecture: z.enum(ARCHITECTURES),
    subArchitectures: z.array(z.enum(ARCHITECTURES)).nullish(),
  })).nullish(),
  flags: z.array(z.string()).nullish(),
  listenerPath: z.string().nullish(),
  listenerMetadata: z.string().nullish(),
  syscalls: z.array(z.strictObject({
    names: z.array(z.string().min(1)).nullish(),
    name: z.string().min(1).nullish(),
    action: z.string(),
    errnoRet,
    args: z.array(z.strictObject({
      index: z.number().int().min(0).max(5),
      value: u64,
      valueTwo: u64.nullish(),
      op: z.enum(OPERATORS),
    })).nullish(),
    comment: z.string().nullish(),
    includes: condition,
    excludes: condition,
  })).nullish(),
});

type RawProfile = z.infer<typeof schema>;

/**
 * JSON with integers past 2^53 kept exact: such literals (outside strings)
 * become strings before JSON.parse, and `u64` above takes either form.
 */
function parseJsonExact(text: string): unknown {
  const guarded = text.replace(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (token) =>
    /^\d{16,}$/.test(token) ? `"${token}"` : token);
  return JSON.parse(guarded) as unknown;
}

function keyPathOf(path: ReadonlyArray<PropertyKey>): string {
  return path.map(String).join('.');
}

function profileError(source: string, problems: string[], context: ProfileContext, unsupported = false): TscComposeError {
  const message = problems.length === 1
    ? `seccomp profile ${source}: ${problems[0] ?? ''}`
    : `seccomp profile ${source}:\n${problems.map((p) => `  ${p}`).join('\n')}`;
  return new TscComposeError(unsupported ? 'TSC_SECCOMP_UNSUPPORTED' : 'TSC_SECCOMP_PROFILE', message, context);
}

function checkAction(value: string, keyPath: string, problems: string[], unsupported: string[]): SeccompAction {
  if ((SECCOMP_ACTIONS as readonly string[]).includes(value)) return value as SeccompAction;
  if (value === 'SCMP_ACT_NOTIFY') unsupported.push(`${keyPath}: SCMP_ACT_NOTIFY (seccomp user notification) is not supported`);
  else problems.push(`${keyPath}: unknown action "${value}" (one of ${SECCOMP_ACTIONS.join(', ')})`);
  return 'SCMP_ACT_ERRNO';
}

/** errnoRet is ERRNO's errno (at most 4095, the kernel's MAX_ERRNO) or TRACE's message; any other action has no use for it. */
function checkErrnoRet(action: SeccompAction, value: number | null | undefined, keyPath: string, problems: string[]): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (action === 'SCMP_ACT_ERRNO') {
    if (value > 4095) problems.push(`${keyPath}: errno ${value} is larger than 4095`);
  } else if (action !== 'SCMP_ACT_TRACE') {
    problems.push(`${keyPath}: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return value, not ${action}`);
  }
  return value;
}

/** moby's "<kernel>.<major>" (e.g. "4.8"); minor revisions and suffixes are not part of it. */
function checkKernelVersion(text: string, keyPath: string, problems: string[]): KernelVersion | undefined {
  if (text === '') return undefined;
  const m = /^(\d{1,3})\.(\d{1,3})$/.exec(text);
  const major = Number(m?.[1]);
  const minor = Number(m?.[2]);
  if (!m || major > 255 || minor > 255 || (major === 0 && minor === 0)) {
    problems.push(`${keyPath}: invalid kernel version "${text}", expected "<kernel>.<major>" such as "4.8"`);
    return undefined;
  }
  return { major, minor };
}

function checkCondition(raw: z.infer<typeof condition>, keyPath: string, problems: string[]): SeccompCondition | undefined {
  if (!raw) return undefined;
  const caps: string[] = [];
  for (const [i, cap] of (raw.caps ?? []).entries()) {
    const upper = cap.toUpperCase();
    const name = upper.startsWith('CAP_') ? upper.slice(4) : upper;
    if ((CAPABILITIES as readonly string[]).includes(name)) caps.push(name);
    else problems.push(`${keyPath}.caps.${i}: unknown capability "${cap}"`);
  }
  const minKernel = raw.minKernel ? checkKernelVersion(raw.minKernel, `${keyPath}.minKernel`, problems) : undefined;
  return { caps, arches: raw.arches ?? [], minKernel };
}

function checkFlags(flags: string[], problems: string[], unsupported: string[]): SeccompFlag[] {
  const out: SeccompFlag[] = [];
  for (const [i, flag] of flags.entries()) {
    if (Object.hasOwn(SECCOMP_FLAGS, flag)) out.push(flag as SeccompFlag);
    else if (flag === 'SECCOMP_FILTER_FLAG_NEW_LISTENER' || flag === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV') unsupported.push(`flags.${i}: ${flag} (seccomp user notification) is not supported`);
    else problems.push(`flags.${i}: unknown flag "${flag}" (one of ${Object.keys(SECCOMP_FLAGS).join(', ')})`);
  }
  return out;
}

function convert(raw: RawProfile, source: string, context: ProfileContext): SeccompProfile {
  const problems: string[] = [];
  const unsupported: string[] = [];
  if (raw.architectures?.length && raw.archMap?.length) problems.push('both "architectures" and "archMap" are given; use one');
  if (raw.listenerPath) unsupported.push('listenerPath: seccomp user notification is not supported');
  const defaultAction = checkAction(raw.defaultAction, 'defaultAction', problems, unsupported);
  const defaultErrnoRet = checkErrnoRet(defaultAction, raw.defaultErrnoRet, 'defaultErrnoRet', problems);
  const rules: SeccompRule[] = [];
  for (const [i, call] of (raw.syscalls ?? []).entries()) {
    const keyPath = `syscalls.${i}`;
    if (call.name && call.names?.length) problems.push(`${keyPath}: both "name" and "names" are given; use "names"`);
    const action = checkAction(call.action, `${keyPath}.action`, problems, unsupported);
    rules.push({
      names: call.names ?? (call.name ? [call.name] : []),
      action,
      errnoRet: checkErrnoRet(action, call.errnoRet, `${keyPath}.errnoRet`, problems),
      args: (call.args ?? []).map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0n, op: a.op })),
      includes: checkCondition(call.includes, `${keyPath}.includes`, problems),
      excludes: checkCondition(call.excludes, `${keyPath}.excludes`, problems),
      keyPath,
    });
  }
  const flags = checkFlags(raw.flags ?? [], problems, unsupported);
  if (problems.length) throw profileError(source, problems, context);
  if (unsupported.length) throw profileError(source, unsupported, context, true);
  return {
    source,
    defaultAction,
    defaultErrnoRet,
    architectures: raw.architectures ?? [],
    archMap: (raw.archMap ?? []).map((a) => ({ architecture: a.architecture, subArchitectures: a.subArchitectures ?? [] })),
    flags,
    rules,
  };
}

function fromData(data: unknown, source: string, context: ProfileContext): SeccompProfile {
  const result = schema.safeParse(data);
  if (!result.success) {
    throw profileError(source, result.error.issues.map((issue) => {
      const where = keyPathOf(issue.path);
      return where ? `${where}: ${issue.message}` : issue.message;
    }), context);
  }
  return convert(result.data, source, context);
}

/** A profile from its JSON text; `source` (its file name) is what errors name. */
export function parseSeccompProfile(text: string, source: string, context: ProfileContext = {}): SeccompProfile {
  let data: unknown;
  try {
    data = parseJsonExact(text);
  } catch (err) {
    throw profileError(source, [`not valid JSON: ${(err as Error).message}`], context);
  }
  return fromData(data, source, context);
}

let dockerDefault: SeccompProfile | undefined;

/** Docker's default profile (docker-default.json, see SOURCE.md), checked on first use. */
export function dockerDefaultSeccompProfile(): SeccompProfile {
  dockerDefault ??= fromData(dockerDefaultJson, 'docker-default', {});
  return dockerDefault;
}
