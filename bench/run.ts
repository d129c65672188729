/**
 * `npm run bench`: every benchmark, peers installed when missing, one table.
 * Run by hand as root (not in CI): `npm run bench [-- NAME...]`.
 */
import { printTable } from './lib.js';
import type { Row } from './lib.js';

const BENCHMARKS: Record<string, () => Promise<Row[]>> = {
  config: async () => (await import('./config-bench.js')).configBenchmarks(),
  containers: async () => (await import('./container-bench.js')).containerBenchmarks(),
  dns: async () => (await import('./dns-bench.js')).dnsBenchmarks(),
  network: async () => (await import('./network-bench.js')).networkBenchmarks(),
  engine: async () => (await import('./engine-bench.js')).engineBenchmarks(),
  pull: async () => (await import('./pull-bench.js')).pullBenchmarks(),
  example: async () => (await import('./example-bench.js')).exampleBenchmarks(),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const rows: Row[] = [];
  for (const [name, run] of Object.entries(BENCHMARKS)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    process.stderr.write(`running ${name} benchmarks...\n`);
    rows.push(...(await run()));
  }
  printTable(rows);
}

main().catch((err) => {
  process.stderr.write(`benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
