/**
 * `command`, `entrypoint` and the hook and watch `exec` commands: a string is
 * split into words by the project's one shell-words splitter (go-shellwords,
 * as compose-go splits it), a list is kept as a list of strings.
 */
import { SHELL_WORDS_ERROR, splitShellWords } from '../../util/shell-words.js';
import { toStringList } from './lists.js';
import { scalarText } from './transformer.js';
import type { Transformer } from './transformer.js';

/** command, entrypoint, hook commands: a string is split into words; null stays null (keep the image's). */
export const toCommand: Transformer = (v, path, run) => {
  if (v === null || v === undefined) return v;
  if (Array.isArray(v)) return toStringList(v, path, run);
  const line = scalarText(v);
  const split = splitShellWords(line);
  if ('problem' in split) return run.fail(path, `${SHELL_WORDS_ERROR}: ${line}`);
  if (split.ignoredFrom !== undefined) {
    run.warn(path, `"${line.slice(split.ignoredFrom)}" is ignored, as docker compose ignores what follows an unquoted ;, &, |, < or > (use a list, or run it with sh -c)`);
  }
  return split.words;
};
