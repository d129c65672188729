/**
 * `user:` and `group_add:` resolved against the image's /etc/passwd and
 * /etc/group, with Docker's rules: names or numeric ids; a numeric uid not in
 * passwd is allowed (gid 0, home /); the user's primary group plus every group
 * that lists the user are the supplementary groups. Pure: the files' text is
 * passed in (read from the container's rootfs by the caller).
 */
import { TscComposeError } from '../errors/index.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
  name: string | undefined;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export class UserResolutionError extends TscComposeError {
  constructor(message: string, service?: string) {
    super('TSC_USER_UNKNOWN', message, { service });
    this.name = 'UserResolutionError';
  }
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0] as string, uid, gid, home: f[5] as string });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({ name: f[0] as string, gid, members: (f[3] as string).split(',').filter((m) => m !== '') });
  }
  return out;
}

const NUMERIC = /^\d+$/;
const MAX_ID = 2 ** 31 - 1;

function numericId(text: string, what: string): number {
  const n = Number(text);
  if (n > MAX_ID) throw new UserResolutionError(`${what} ${text} is out of range`);
  return n;
}

/**
 * Resolves `spec` (`""`, `name`, `uid`, `name:group`, `uid:gid`) plus
 * `groupAdd` (names or gids) against the image's passwd and group files
 * (undefined when the image has none).
 */
export function resolveUser(spec: string | undefined, groupAdd: string[], passwdText: string | undefined, groupText: string | undefined): ResolvedUser {
  const passwd = passwdText === undefined ? [] : parsePasswd(passwdText);
  const groups = groupText === undefined ? [] : parseGroup(groupText);
  const [userPart = '', groupPart] = (spec ?? '').split(':', 2) as [string?, string?];

  let entry: PasswdEntry | undefined;
  let uid: number;
  if (userPart === '') {
    entry = passwd.find((p) => p.uid === 0);
    uid = 0;
  } else if (NUMERIC.test(userPart)) {
    uid = numericId(userPart, 'uid');
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userPart);
    if (!entry) {
      throw new UserResolutionError(
        passwdText === undefined
          ? `unable to find user ${userPart}: no /etc/passwd in the image`
          : `unable to find user ${userPart}: no matching entries in passwd file`,
      );
    }
    uid = entry.uid;
  }

  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') gid = lookupGroup(groupPart, groups, groupText !== undefined);

  const additional = new Set<number>();
  // Supplementary groups come from group membership only when no group was forced.
  if (entry && groupPart === undefined) {
    for (const g of groups) if (g.members.includes(entry.name) && g.gid !== gid) additional.add(g.gid);
  }
  for (const g of groupAdd) additional.add(lookupGroup(String(g), groups, groupText !== undefined));
  return { uid, gid, additionalGids: [...additional], home: entry?.home ?? '/', name: entry?.name };
}

function lookupGroup(group: string, groups: GroupEntry[], haveFile: boolean): number {
  if (NUMERIC.test(group)) return numericId(group, 'gid');
  const found = groups.find((g) => g.name === group);
  if (!found) {
    throw new UserResolutionError(
      haveFile ? `unable to find group ${group}: no matching entries in group file` : `unable to find group ${group}: no /etc/group in the image`,
    );
  }
  return found.gid;
}
