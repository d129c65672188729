/**
 * Which seccomp program a container gets: Docker's default profile unless
 * `security_opt` names another or `unconfined`, none when privileged (as
 * Docker), compiled for this machine's architecture and kernel and the
 * container's own capabilities (the profile's rules depend on them).
 * Compiled when the container is created and kept in its configuration, so a
 * restart or an exec reuses the same bytes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TscComposeError } from '../errors/index.js';
import { hostArchitecture } from '../runtime/seccomp/architectures.js';
import { compileSeccompProfile, kernelVersionOf } from '../runtime/seccomp/compile.js';
import { dockerDefaultSeccompProfile, parseSeccompProfile } from '../runtime/seccomp/profile.js';
import type { SeccompChoice } from './security-options.js';

/** The program as the container's configuration keeps it: `struct sock_filter[]` as hex, and the seccomp() flags. */
export interface SeccompFilter {
  filterHex: string;
  flags: number;
}

export function seccompFilterFor(choice: SeccompChoice, opts: { privileged: boolean; capabilities: bigint; projectDir: string | undefined; service: string }): SeccompFilter | undefined {
  if (opts.privileged || choice.kind === 'unconfined') return undefined;
  const arch = hostArchitecture(process.arch);
  if (!arch) throw new TscComposeError('TSC_SECCOMP_UNSUPPORTED', `seccomp filters are built for x86_64 and aarch64, not ${process.arch}: run with security_opt: [seccomp=unconfined]`, { service: opts.service });
  let profile = dockerDefaultSeccompProfile();
  if (choice.kind === 'profile') {
    const file = path.resolve(opts.projectDir ?? process.cwd(), choice.file);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      throw new TscComposeError('TSC_SECCOMP_PROFILE', `security_opt seccomp=${choice.file}: cannot read ${file}`, { service: opts.service });
    }
    profile = parseSeccompProfile(text, file, { service: opts.service });
  }
  const program = compileSeccompProfile(profile, { arch, capabilities: opts.capabilities, kernel: kernelVersionOf(os.release()) });
  return { filterHex: program.filter.toString('hex'), flags: program.flags };
}
