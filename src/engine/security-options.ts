/**
 * `security_opt:` as Docker reads it, decided once, purely: every entry is
 * understood, or refused with a message naming it. Never silently ignored.
 *
 *   no-new-privileges[:true|=true|:false|=false]
 *   seccomp=unconfined | seccomp=<profile.json>      (also `seccomp:...`)
 *   apparmor=unconfined, label=disable | label:disable (no profile: what tsc-compose does anyway)
 *   systempaths=unconfined                           (no masked or read-only /proc paths)
 */
import { TscComposeError } from '../errors/index.js';

export type SeccompChoice = { kind: 'default' } | { kind: 'unconfined' } | { kind: 'profile'; file: string };

export interface SecurityOptions {
  noNewPrivileges: boolean;
  seccomp: SeccompChoice;
  /** `systempaths=unconfined`: /proc paths neither masked nor read-only. */
  unmaskedSystemPaths: boolean;
}

function refuse(entry: string, why: string, service: string | undefined): never {
  throw new TscComposeError('TSC_SECURITY_OPT', `security_opt "${entry}": ${why}`, { service });
}

export function securityOptions(entries: readonly string[] | undefined, service?: string): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, seccomp: { kind: 'default' }, unmaskedSystemPaths: false };
  for (const entry of entries ?? []) {
    // Docker accepts both `key=value` and the older `key:value`.
    const m = /^([a-z-]+)(?:[=:](.*))?$/s.exec(entry.trim());
    const key = m?.[1] ?? '';
    const value = m?.[2];
    switch (key) {
      case 'no-new-privileges':
        if (value === undefined || value === 'true') out.noNewPrivileges = true;
        else if (value === 'false') out.noNewPrivileges = false;
        else refuse(entry, 'the value must be true or false', service);
        break;
      case 'seccomp':
        if (value === undefined || value === '') refuse(entry, 'name a profile file or "unconfined"', service);
        out.seccomp = value === 'unconfined' ? { kind: 'unconfined' } : { kind: 'profile', file: value };
        break;
      case 'apparmor':
        if (value !== 'unconfined') refuse(entry, 'AppArmor profiles are not supported (only "apparmor=unconfined", which is what every container gets)', service);
        break;
      case 'label':
        if (value !== 'disable') refuse(entry, 'SELinux labels are not supported (only "label=disable", which is what every container gets)', service);
        break;
      case 'systempaths':
        if (value !== 'unconfined') refuse(entry, 'the only value is "unconfined"', service);
        out.unmaskedSystemPaths = true;
        break;
      default:
        refuse(entry, 'unknown option (supported: no-new-privileges, seccomp, systempaths, apparmor=unconfined, label=disable)', service);
    }
  }
  return out;
}
