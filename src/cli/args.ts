/**
 * A small, table-driven argument parser. node:util parseArgs cannot stop at
 * the first positional (the command name) while still knowing which options
 * take values, so global options and per-command options each get a table.
 */
import { UsageError } from '../errors/index.js';

export interface OptionSpec {
  name: string;
  short?: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
}

export type ParsedOptions = Record<string, string | boolean | string[] | undefined>;

export interface ParseResult {
  options: ParsedOptions;
  positionals: string[];
}

/**
 * Parses `argv` against `specs`. With `stopAtPositional`, parsing stops at the
 * first positional, which is returned with everything after it untouched.
 */
export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[], stopAtPositional = false): ParseResult {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const options: ParsedOptions = {};
  const positionals: string[] = [];

  const set = (spec: OptionSpec, value: string | boolean): void => {
    if (spec.multiple) {
      const list = (options[spec.name] as string[] | undefined) ?? [];
      list.push(String(value));
      options[spec.name] = list;
    } else {
      options[spec.name] = value;
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byName.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
      if (spec.type === 'boolean') {
        if (eq !== -1) {
          const v = arg.slice(eq + 1);
          if (v !== 'true' && v !== 'false') throw new UsageError(`invalid value "${v}" for --${name}: expected true or false`);
          set(spec, v === 'true');
        } else set(spec, true);
        continue;
      }
      const value: string | undefined = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new UsageError(`flag needs an argument: --${name}`);
      set(spec, value);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // Short flags, possibly bundled (-qd) or with an attached value (-fcompose.yaml).
      for (let j = 1; j < arg.length; j++) {
        const ch = arg[j] as string;
        const spec = byShort.get(ch);
        if (!spec) throw new UsageError(`unknown shorthand flag: '${ch}' in ${arg}`);
        if (spec.type === 'boolean') {
          set(spec, true);
          continue;
        }
        const rest = arg.slice(j + 1);
        const value = rest.length > 0 ? rest : argv[++i];
        if (value === undefined) throw new UsageError(`flag needs an argument: '${ch}' in ${arg}`);
        set(spec, value);
        break;
      }
      continue;
    }
    if (stopAtPositional) {
      positionals.push(...argv.slice(i));
      break;
    }
    positionals.push(arg);
  }
  return { options, positionals };
}

export function stringOption(options: ParsedOptions, name: string): string | undefined {
  const v = options[name];
  return typeof v === 'string' ? v : undefined;
}

export function listOption(options: ParsedOptions, name: string): string[] {
  const v = options[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function flag(options: ParsedOptions, name: string): boolean {
  return options[name] === true;
}

/**
 * Whether `--help` (or `-h`) is asked of the command itself. Never after
 * `--`. For a command that hands its arguments to a container (`run`,
 * `exec`), only before its first positional: in `run web cat --help` the
 * flag is `cat`'s. `passThrough` lists that command's options, to know which
 * take a value (`run -e --help web` sets a variable, it asks for no help).
 */
export function asksForHelp(argv: readonly string[], passThrough?: readonly OptionSpec[]): boolean {
  const takesValue = (spec: OptionSpec | undefined): boolean => spec?.type === 'string';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
    if (!passThrough) continue;
    if (arg.startsWith('--') && arg.length > 2) {
      if (!arg.includes('=') && takesValue(passThrough.find((s) => s.name === arg.slice(2)))) i++;
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        if (!takesValue(passThrough.find((s) => s.short === arg[j]))) continue;
        if (j === arg.length - 1) i++;
        break;
      }
      continue;
    }
    return false;
  }
  return false;
}
