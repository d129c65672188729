/** `tsc-compose login [-u USER] [-p PASS | --password-stdin] [SERVER]` and `logout [SERVER]`, in docker's config.json. */
import * as fs from 'node:fs';
import type { Command } from '../command.js';
import { flag, parseOptions, stringOption } from '../args.js';
import { UsageError } from '../../errors/index.js';
import { CredentialStore } from '../../image/registry/credentials.js';

function server(positionals: string[]): string {
  const s = positionals[0] ?? 'docker.io';
  return s === 'index.docker.io' || s === 'https://index.docker.io/v1/' ? 'docker.io' : s.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

export const command: Command = {
  usage: 'tsc-compose login [-u USER] [-p PASSWORD | --password-stdin] [SERVER]',
  run(args, _global, io) {
    const { options, positionals } = parseOptions(args, [
      { name: 'username', short: 'u', type: 'string' },
      { name: 'password', short: 'p', type: 'string' },
      { name: 'password-stdin', type: 'boolean' },
    ]);
    const username = stringOption(options, 'username');
    let password = stringOption(options, 'password');
    if (flag(options, 'password-stdin')) password = fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '');
    if (!username || password === undefined) throw new UsageError('login needs -u USER and -p PASSWORD (or --password-stdin)');
    if (positionals.length > 1) throw new UsageError('login takes at most one SERVER');
    new CredentialStore().set(server(positionals), { username, password });
    io.stdout.write('Login Succeeded\n');
    return Promise.resolve(0);
  },
};

export const logout: Command = {
  usage: 'tsc-compose logout [SERVER]',
  run(args, _global, io) {
    const { positionals } = parseOptions(args, []);
    if (positionals.length > 1) throw new UsageError('logout takes at most one SERVER');
    const target = server(positionals);
    const removed = new CredentialStore().remove(target);
    io.stdout.write(removed ? `Removing login credentials for ${target}\n` : `Not logged in to ${target}\n`);
    return Promise.resolve(0);
  },
};
