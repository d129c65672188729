/** Options docker compose accepts before the command, valid for every command. */
import type { OptionSpec, ParsedOptions } from './args.js';
import { listOption, stringOption } from './args.js';
import { UsageError } from '../errors/index.js';

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: 'file', short: 'f', type: 'string', multiple: true },
  { name: 'project-name', short: 'p', type: 'string' },
  { name: 'project-directory', type: 'string' },
  { name: 'env-file', type: 'string', multiple: true },
  { name: 'profile', type: 'string', multiple: true },
  { name: 'ansi', type: 'string' },
  { name: 'progress', type: 'string' },
  { name: 'parallel', type: 'string' },
  { name: 'dry-run', type: 'boolean' },
  { name: 'version', short: 'v', type: 'boolean' },
  { name: 'help', short: 'h', type: 'boolean' },
];

export type AnsiMode = 'never' | 'always' | 'auto';
export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'quiet';

export interface GlobalOptions {
  files: string[];
  projectName: string | undefined;
  projectDirectory: string | undefined;
  envFiles: string[];
  profiles: string[];
  ansi: AnsiMode;
  progress: ProgressMode;
  dryRun: boolean;
}

export function toGlobalOptions(parsed: ParsedOptions): GlobalOptions {
  const ansi = stringOption(parsed, 'ansi') ?? 'auto';
  if (ansi !== 'never' && ansi !== 'always' && ansi !== 'auto') {
    throw new UsageError(`invalid --ansi value "${ansi}": expected never, always or auto`);
  }
  const progress = stringOption(parsed, 'progress') ?? 'auto';
  if (!['auto', 'tty', 'plain', 'json', 'quiet'].includes(progress)) {
    throw new UsageError(`invalid --progress value "${progress}": expected auto, tty, plain, json or quiet`);
  }
  // As docker compose: a live display needs ANSI codes, plain lines forbid them.
  if (progress === 'tty' && ansi === 'never') throw new UsageError("can't use --progress tty while ANSI support is disabled (--ansi never)");
  if (progress === 'plain' && ansi === 'always') throw new UsageError("can't use --progress plain while ANSI support is forced (--ansi always)");
  if (parsed['parallel'] !== undefined) {
    throw new UsageError('--parallel is not supported: the engine runs independent operations side by side without a limit and pulls one image at a time; drop the flag');
  }
  return {
    files: listOption(parsed, 'file'),
    projectName: stringOption(parsed, 'project-name'),
    projectDirectory: stringOption(parsed, 'project-directory'),
    envFiles: listOption(parsed, 'env-file'),
    profiles: listOption(parsed, 'profile').flatMap((p) => p.split(',')).filter((p) => p !== ''),
    ansi,
    progress: progress as ProgressMode,
    dryRun: parsed['dry-run'] === true,
  };
}
