/**
 * The questions docker compose asks before it removes something (`rm`, the
 * `prune` commands), with its answers: `y` or `yes` goes ahead; anything else,
 * an empty line or no input at all (a script's closed stdin) does nothing.
 * `-f` answers in advance: the question is not asked.
 */
import * as readline from 'node:readline';
import type { CommandIO } from './command.js';

export async function confirm(question: string, io: CommandIO): Promise<boolean> {
  io.stdout.write(`${question} [y/N] `);
  const answer = await firstLine(io.stdin);
  if (answer === undefined) io.stdout.write('\n');
  return isYes(answer ?? '');
}

export function isYes(answer: string): boolean {
  return /^(y|yes)$/i.test(answer.trim());
}

function firstLine(input: NodeJS.ReadableStream): Promise<string | undefined> {
  const rl = readline.createInterface({ input, terminal: false });
  return new Promise((resolve) => {
    let line: string | undefined;
    rl.once('line', (text) => {
      line = text;
      rl.close();
    });
    rl.once('close', () => resolve(line));
  });
}
