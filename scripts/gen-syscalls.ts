/**
 * Writes the system call tables the seccomp compiler resolves names with
 * (src/runtime/seccomp/syscalls/*.ts) from kernel UAPI headers: x86_64 and
 * i386 from the headers of this machine's linux-libc-dev, aarch64 from the
 * generic table arm64 uses (asm-generic/unistd.h, read with the macros
 * arm64's own asm/unistd.h defines before including it). The headers are C,
 * so a small preprocessor evaluates their #if blocks.
 *
 *   node dist/scripts/gen-syscalls.js [--include DIR]   (DIR: default /usr/include)
 *
 * Pointing --include at an unpacked newer linux-libc-dev (`apt-get download`,
 * `dpkg-deb -x`) updates the tables to that kernel's system calls.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const OUT = path.join(ROOT, 'src/runtime/seccomp/syscalls');

/** Macros arm64's asm/unistd.h (Linux 6.1) defines before it includes the generic table. */
const ARM64_DEFINES: Record<string, string> = {
  __BITS_PER_LONG: '64',
  __ARCH_WANT_RENAMEAT: '',
  __ARCH_WANT_NEW_STAT: '',
  __ARCH_WANT_SET_GET_RLIMIT: '',
  __ARCH_WANT_TIME32_SYSCALLS: '',
  __ARCH_WANT_SYS_CLONE3: '',
  __ARCH_WANT_MEMFD_SECRET: '',
};

/** `__NR_` macros that count or mark the table rather than name a system call. */
const NOT_SYSCALLS = new Set(['syscalls', 'arch_specific_syscall']);

interface Table {
  file: string;
  constant: string;
  arch: string;
  header: string;
  defines: Record<string, string>;
}

function tables(include: string): Table[] {
  return [
    { file: 'x86_64.ts', constant: 'X86_64_SYSCALLS', arch: 'x86_64 (AUDIT_ARCH_X86_64)', header: path.join(include, 'x86_64-linux-gnu/asm/unistd_64.h'), defines: {} },
    { file: 'i386.ts', constant: 'I386_SYSCALLS', arch: 'i386, the compat ABI of x86_64 (AUDIT_ARCH_I386)', header: path.join(include, 'x86_64-linux-gnu/asm/unistd_32.h'), defines: {} },
    { file: 'aarch64.ts', constant: 'AARCH64_SYSCALLS', arch: 'aarch64 (AUDIT_ARCH_AARCH64)', header: path.join(include, 'asm-generic/unistd.h'), defines: ARM64_DEFINES },
  ];
}

/** Lines of C with comments removed and continuation lines joined. */
function logicalLines(text: string): string[] {
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, '');
  return noComments.replace(/\\\n/g, ' ').split('\n');
}

type Token = { kind: 'num'; value: number } | { kind: 'id'; value: string } | { kind: 'op'; value: string };

function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(\d+)[uUlL]*|([A-Za-z_]\w*)|(==|!=|<=|>=|&&|\|\||[()!<>]))/y;
  let at = 0;
  while (at < expr.length) {
    if (/^\s*$/.test(expr.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(expr);
    if (!m) throw new Error(`cannot read #if expression at "${expr.slice(at)}"`);
    if (m[1] !== undefined) out.push({ kind: 'num', value: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ kind: 'id', value: m[2] });
    else out.push({ kind: 'op', value: m[3] ?? '' });
    at = re.lastIndex;
  }
  return out;
}

/** Evaluates a #if expression (defined(), integers, comparisons, ! && ||) over the macros defined so far. */
function evaluate(expr: string, macros: Map<string, string>): boolean {
  const tokens = tokenize(expr);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const isOp = (v: string): boolean => peek()?.kind === 'op' && peek()?.value === v;
  const expectOp = (v: string): void => {
    if (!isOp(v)) throw new Error(`expected "${v}" in #if ${expr}`);
    i++;
  };
  const valueOf = (name: string, seen: Set<string>): number => {
    const body = macros.get(name);
    if (body === undefined || body.trim() === '') return 0;
    if (/^\d+$/.test(body.trim())) return Number(body.trim());
    if (/^[A-Za-z_]\w*$/.test(body.trim()) && !seen.has(body.trim())) return valueOf(body.trim(), new Set([...seen, name]));
    throw new Error(`macro ${name} = "${body}" is not a number`);
  };
  const primary = (): number => {
    const t = tokens[i++];
    if (!t) throw new Error(`#if ${expr} ends early`);
    if (t.kind === 'num') return t.value;
    if (t.kind === 'id') {
      if (t.value !== 'defined') return valueOf(t.value, new Set());
      const paren = isOp('(');
      if (paren) i++;
      const name = tokens[i++];
      if (name?.kind !== 'id') throw new Error(`defined() without a name in #if ${expr}`);
      if (paren) expectOp(')');
      return macros.has(name.value) ? 1 : 0;
    }
    if (t.value === '!') return primary() ? 0 : 1;
    if (t.value === '(') {
      const v = or();
      expectOp(')');
      return v;
    }
    throw new Error(`unexpected "${t.value}" in #if ${expr}`);
  };
  const comparison = (): number => {
    let left = primary();
    for (;;) {
      const t = peek();
      if (t?.kind !== 'op' || !['==', '!=', '<', '>', '<=', '>='].includes(t.value)) return left;
      i++;
      const right = primary();
      switch (t.value) {
        case '==': left = Number(left === right); break;
        case '!=': left = Number(left !== right); break;
        case '<': left = Number(left < right); break;
        case '>': left = Number(left > right); break;
        case '<=': left = Number(left <= right); break;
        default: left = Number(left >= right); break;
      }
    }
  };
  const and = (): number => {
    let v = comparison();
    while (isOp('&&')) {
      i++;
      const r = comparison();
      v = Number(v !== 0 && r !== 0);
    }
    return v;
  };
  const or = (): number => {
    let v = and();
    while (isOp('||')) {
      i++;
      const r = and();
      v = Number(v !== 0 || r !== 0);
    }
    return v;
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`trailing tokens in #if ${expr}`);
  return result !== 0;
}

/** The object-like macros a header defines, its conditional blocks evaluated with `predefined`. */
function preprocess(text: string, predefined: Record<string, string>): Map<string, string> {
  const macros = new Map(Object.entries(predefined));
  // One frame per open #if: whether its current branch is taken, and whether any branch was.
  const stack: Array<{ active: boolean; taken: boolean; parentActive: boolean }> = [];
  const active = (): boolean => stack.every((f) => f.active);
  for (const raw of logicalLines(text)) {
    const line = raw.trim();
    const m = /^#\s*(\w+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, directive = '', rest = ''] = m;
    switch (directive) {
      case 'if':
      case 'ifdef':
      case 'ifndef': {
        const parentActive = active();
        const cond = directive === 'if' ? parentActive && evaluate(rest, macros)
          : directive === 'ifdef' ? macros.has(rest.trim()) : !macros.has(rest.trim());
        stack.push({ active: cond, taken: cond, parentActive });
        break;
      }
      case 'elif': {
        const top = stack.at(-1);
        if (!top) throw new Error('#elif without #if');
        top.active = !top.taken && top.parentActive && evaluate(rest, macros);
        top.taken ||= top.active;
        break;
      }
      case 'else': {
        const top = stack.at(-1);
        if (!top) throw new Error('#else without #if');
        top.active = !top.taken;
        top.taken = true;
        break;
      }
      case 'endif':
        if (!stack.pop()) throw new Error('#endif without #if');
        break;
      case 'define': {
        if (!active()) break;
        const d = /^([A-Za-z_]\w*)(\([^)]*\))?\s*(.*)$/.exec(rest);
        if (d?.[1] && d[2] === undefined) macros.set(d[1], (d[3] ?? '').trim());
        break;
      }
      case 'undef':
        if (active()) macros.delete(rest.trim());
        break;
      default:
        // #include and friends: the tables need nothing from other headers.
        break;
    }
  }
  if (stack.length) throw new Error('unterminated #if');
  return macros;
}

/** name → number for every `__NR_name` the header defines. */
function syscallTable(text: string, defines: Record<string, string>): Map<string, number> {
  const macros = preprocess(text, defines);
  const resolve = (name: string, depth: number): number => {
    const body = macros.get(name)?.trim();
    if (body === undefined) throw new Error(`${name} is not defined`);
    if (/^\d+$/.test(body)) return Number(body);
    if (/^[A-Za-z_]\w*$/.test(body) && depth < 8) return resolve(body, depth + 1);
    throw new Error(`${name} = "${body}" is not a system call number`);
  };
  const out = new Map<string, number>();
  for (const name of macros.keys()) {
    if (!name.startsWith('__NR_')) continue;
    const syscall = name.slice('__NR_'.length);
    if (NOT_SYSCALLS.has(syscall)) continue;
    out.set(syscall, resolve(name, 0));
  }
  return out;
}

function kernelVersion(include: string): string {
  const text = fs.readFileSync(path.join(include, 'linux/version.h'), 'utf8');
  const part = (name: string): string => new RegExp(`#define LINUX_VERSION_${name} (\\d+)`).exec(text)?.[1] ?? '?';
  return `${part('MAJOR')}.${part('PATCHLEVEL')}.${part('SUBLEVEL')}`;
}

function render(table: Table, entries: Map<string, number>, version: string): string {
  const sorted = [...entries].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  const body = sorted.map(([name, nr]) => `  ${/^[A-Za-z_]\w*$/.test(name) ? name : JSON.stringify(name)}: ${nr},`).join('\n');
  return `/**
 * System call numbers of ${table.arch}, from ${table.header}
 * (Linux ${version} UAPI headers). Generated by scripts/gen-syscalls.ts: regenerate, do not edit.
 */
export const ${table.constant}: Readonly<Record<string, number>> = {
${body}
};
`;
}

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf('--include');
  const given = at >= 0 ? args[at + 1] : '/usr/include';
  if (!given) throw new Error('--include needs a directory');
  const include = path.resolve(given);
  const version = kernelVersion(include);
  fs.mkdirSync(OUT, { recursive: true });
  for (const table of tables(include)) {
    const entries = syscallTable(fs.readFileSync(table.header, 'utf8'), table.defines);
    fs.writeFileSync(path.join(OUT, table.file), render(table, entries, version));
    console.log(`${table.file}: ${entries.size} system calls from ${table.header}`);
  }
}

main();
