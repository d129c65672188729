/**
 * The import graph of src/, type-only imports included: fails on a cycle
 * between modules and on an import that points up the layers (the order the
 * architecture gives: cli → engine → build/watch → runtime/network →
 * plan/image → compose/ui → graph → events/state/sys → util → errors). `npm run lint` runs it after eslint.
 *
 *   node dist/scripts/check-imports.js [--graph]   (--graph: print folder → folders)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const SRC = path.join(ROOT, 'src');

/** A folder may import folders of a lower rank, and itself. */
const RANK: Record<string, number> = {
  errors: 0,
  util: 1,
  sys: 2,
  state: 2,
  events: 2,
  graph: 3,
  compose: 4,
  ui: 4,
  plan: 5,
  image: 5,
  runtime: 6,
  network: 6,
  build: 7,
  watch: 7,
  engine: 8,
  cli: 9,
};

/** Pairs of equal or higher rank allowed on purpose, with the reason. */
const ALLOWED: Record<string, string> = {};

function listTs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return listTs(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const out: string[] = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const target = path.resolve(path.dirname(file), ref.fileName).replace(/\.js$/, '.ts');
    if (fs.existsSync(target)) out.push(target);
    else if (fs.existsSync(path.join(target.replace(/\.ts$/, ''), 'index.ts'))) out.push(path.join(target.replace(/\.ts$/, ''), 'index.ts'));
  }
  return out;
}

function folderOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0] ?? '';
}

/** Strongly connected components with more than one module (or a module importing itself): Tarjan's algorithm. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, indexOf.get(w) ?? 0));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return out;
}

function main(): number {
  const files = listTs(SRC);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const problems: string[] = [];
  for (const component of cycles(graph)) problems.push(`import cycle: ${component.map((f) => path.relative(ROOT, f)).join(' ↔ ')}`);
  const folders = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    for (const target of targets) {
      const to = folderOf(target);
      if (from === to) continue;
      (folders.get(from) ?? folders.set(from, new Set()).get(from))?.add(to);
      const rankFrom = RANK[from];
      const rankTo = RANK[to];
      if (rankFrom === undefined || rankTo === undefined) {
        problems.push(`${path.relative(ROOT, file)}: folder src/${rankFrom === undefined ? from : to}/ has no place in the layers (scripts/check-imports.ts)`);
        continue;
      }
      if (rankTo >= rankFrom && !ALLOWED[`${from}->${to}`]) problems.push(`${path.relative(ROOT, file)} imports ${path.relative(ROOT, target)}: src/${from}/ may not import src/${to}/ (imports point down the layers)`);
    }
  }
  if (process.argv.includes('--graph')) {
    for (const [from, tos] of [...folders].sort()) process.stdout.write(`${from} → ${[...tos].sort().join(', ')}\n`);
  }
  for (const p of [...new Set(problems)]) process.stderr.write(`${p}\n`);
  if (problems.length === 0) process.stdout.write(`imports: ${files.length} modules, no cycle, every import points down\n`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = main();
