/**
 * `config` speed against Debian's docker-compose (v1.29; the only peer that
 * installs offline here) on a generated 300-service file and on the fixtures,
 * and the CLI's own start-up against `node -e 0`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN_PATH, FIXTURES } from './locations.js';
import { ensureAptPackages, timeCommand, tempDir, which } from './lib.js';
import type { Row } from './lib.js';

export function generateLargeCompose(services: number): string {
  // No top-level `name:`: docker-compose 1.29 (the peer) predates it; the project name comes from -p.
  const lines = ['services:'];
  for (let i = 0; i < services; i++) {
    lines.push(
      `  svc${i}:`,
      `    image: busybox:latest`,
      `    command: ["sh", "-c", "echo ${i}"]`,
      `    environment:`,
      `      INDEX: "${i}"`,
      `      NAME: svc${i}`,
      `    ports:`,
      `      - "${10000 + i}:80"`,
      `    volumes:`,
      `      - ./data/${i}:/data`,
      `      - shared:/shared:ro`,
      `    healthcheck:`,
      `      test: ["CMD", "true"]`,
      `      interval: 10s`,
      `    labels:`,
      `      - "bench.index=${i}"`,
    );
    if (i > 0) lines.push(`    depends_on:`, `      - svc${i - 1}`);
  }
  lines.push('volumes:', '  shared: {}');
  return `${lines.join('\n')}\n`;
}

export async function configBenchmarks(): Promise<Row[]> {
  ensureAptPackages(['docker-compose']);
  const peer = which('docker-compose');
  const dir = tempDir('tsc-bench-config');
  try {
    const big = path.join(dir, 'compose.yaml');
    fs.writeFileSync(big, generateLargeCompose(300));
    const rows: Row[] = [];
    const runs = 10;
    const ours = (file: string): number => timeCommand(process.execPath, [BIN_PATH, '-p', 'bench', '-f', file, 'config'], runs, { cwd: path.dirname(file) });
    // docker-compose 1.29 rejects some newer keys; then the row has no peer.
    const theirs = (file: string): number | undefined => {
      if (!peer) return undefined;
      try {
        return timeCommand(peer, ['-p', 'bench', '-f', file, 'config'], runs, { cwd: path.dirname(file) });
      } catch {
        return undefined;
      }
    };
    rows.push({ metric: 'config, 300 services', ours: ours(big), peerName: 'docker-compose', peer: theirs(big), unit: 'ms' });

    const fixture = path.join(FIXTURES, 'compose-go', 'cg-full-example', 'full-example.yml');
    if (fs.existsSync(fixture)) {
      rows.push({ metric: 'config, cg-full-example', ours: timeCommand(process.execPath, [BIN_PATH, '-p', 'bench', '-f', fixture, 'config', '--no-consistency'], runs, { cwd: path.dirname(fixture) }), peerName: 'docker-compose', peer: theirs(fixture), unit: 'ms' });
    }
    const simple = path.join(FIXTURES, 'docker-compose', 'dc-config', 'compose.yaml');
    if (fs.existsSync(simple)) {
      rows.push({ metric: 'config, dc-config', ours: ours(simple), peerName: 'docker-compose', peer: theirs(simple), unit: 'ms' });
    }
    rows.push({
      metric: 'CLI start-up (--version)',
      ours: timeCommand(process.execPath, [BIN_PATH, '--version'], 20),
      peerName: 'node -e 0',
      peer: timeCommand(process.execPath, ['-e', '0'], 20),
      unit: 'ms',
    });
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
