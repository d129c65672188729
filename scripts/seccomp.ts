/**
 * The seccomp compiler from the command line: look at the program a profile
 * becomes, write its bytes, or run a command under it.
 *
 *   node dist/scripts/seccomp.js compile [options] [--disasm] [--out FILE]
 *   node dist/scripts/seccomp.js exec [options] -- COMMAND [ARG...]
 *
 * Options: --profile FILE (default: Docker's default profile), --cap-add CAP,
 * --cap-drop CAP, --privileged (the container's capabilities, from Docker's
 * default set), --kernel X.Y (default: this kernel), --arch x86_64|aarch64
 * (compile only; default: this machine). `exec` sets no_new_privs, loads the
 * program into this process (every thread) and execs COMMAND (a path) in it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { capabilityMask } from '../src/runtime/capabilities.js';
import { heldCapabilities } from '../src/sys/process.js';
import { hostArchitecture } from '../src/runtime/seccomp/architectures.js';
import type { HostArchitecture } from '../src/runtime/seccomp/architectures.js';
import { disassemble } from '../src/runtime/seccomp/bpf.js';
import { compileSeccompProfile, kernelVersionOf } from '../src/runtime/seccomp/compile.js';
import { SECCOMP_FLAGS, dockerDefaultSeccompProfile, parseSeccompProfile } from '../src/runtime/seccomp/profile.js';
import { libc } from '../src/sys/container-init.js';
import { fail, raw } from '../src/sys/libc.js';
import { installSeccompFilter, setNoNewPrivileges } from '../src/sys/seccomp.js';

interface Options {
  profile?: string;
  add: string[];
  drop: string[];
  privileged: boolean;
  kernel: string;
  arch?: HostArchitecture;
  disasm: boolean;
  out?: string;
  command: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { add: [], drop: [], privileged: false, kernel: os.release(), disasm: false, command: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--profile': o.profile = value(); break;
      case '--cap-add': o.add.push(value()); break;
      case '--cap-drop': o.drop.push(value()); break;
      case '--privileged': o.privileged = true; break;
      case '--kernel': o.kernel = value(); break;
      case '--arch': {
        const v = value();
        if (v !== 'x86_64' && v !== 'aarch64') throw new Error(`--arch: x86_64 or aarch64, not ${v}`);
        o.arch = v;
        break;
      }
      case '--disasm': o.disasm = true; break;
      case '--out': o.out = value(); break;
      case '--': o.command = argv.slice(i + 1); i = argv.length; break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return o;
}

function compile(o: Options): ReturnType<typeof compileSeccompProfile> & { milliseconds: number } {
  const arch = o.arch ?? hostArchitecture(process.arch);
  if (!arch) throw new Error(`no seccomp tables for ${process.arch}`);
  const started = performance.now();
  const profile = o.profile ? parseSeccompProfile(fs.readFileSync(o.profile, 'utf8'), o.profile) : dockerDefaultSeccompProfile();
  const program = compileSeccompProfile(profile, {
    arch,
    capabilities: capabilityMask({ privileged: o.privileged, add: o.add, drop: o.drop, held: heldCapabilities() }),
    kernel: kernelVersionOf(o.kernel),
  });
  return { ...program, milliseconds: performance.now() - started };
}

function main(): void {
  const [verb, ...rest] = process.argv.slice(2);
  const o = parseArgs(rest);
  const program = compile(o);
  if (verb === 'compile') {
    if (o.disasm) console.log(disassemble(program.filter).join('\n'));
    if (o.out) fs.writeFileSync(o.out, program.filter);
    console.log(`${program.instructions} instructions (${program.filter.length} bytes), ABIs ${program.abis.join(', ')}, flags 0x${program.flags.toString(16)}, compiled in ${program.milliseconds.toFixed(2)} ms`);
    return;
  }
  if (verb === 'exec') {
    const [file] = o.command;
    if (!file?.startsWith('/')) throw new Error('exec: give the command as an absolute path after --');
    // Node opens its stdio close-on-exec; the command gets them as any exec'd process would.
    for (const fd of [0, 1, 2]) libc.clearCloexec(fd);
    setNoNewPrivileges();
    // TSYNC: Node runs several threads, and each must carry the filter before anything else runs.
    installSeccompFilter(program.filter, program.flags | SECCOMP_FLAGS.SECCOMP_FILTER_FLAG_TSYNC);
    raw.execve(file, [...o.command, null], [...Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`), null]);
    fail('execve', file);
  }
  throw new Error('usage: seccomp.js compile|exec [options] [-- COMMAND ...]');
}

main();
