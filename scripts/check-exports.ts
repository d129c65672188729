/**
 * Dead exports in src/: a name exported by a module that no module of src/,
 * bench/ or scripts/ imports, and that its own module does not use either.
 * (A pure helper used inside its module and imported by its test is fine; a
 * function only a test calls is dead code with a test.) Type-only imports
 * count. `npm run lint` runs it.
 *
 *   node dist/scripts/check-exports.js
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** Exports a test needs to look inside a module, with the reason. */
const ALLOWED = new Set([
  // The path-pattern table's shape (no two rules match one path, every key the brief names is covered) is checked by its test.
  'src/compose/phases/canonical.ts:canonicalPatterns',
  // The writing side of the log record format (the monitor writes records in C); tests write logs with it.
  'src/runtime/process/logs.ts:formatLogRecord',
]);

function listTs(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return listTs(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function resolveModule(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = path.resolve(path.dirname(from), specifier.replace(/^(\.\.\/)+dist\//, (m) => m.slice(0, -5))).replace(/\.js$/, '.ts');
  return fs.existsSync(target) ? target : undefined;
}

interface Exported {
  line: number;
  /** `export { x } from './y.js'`: a module passing on another's name (a barrel), not code of its own. */
  reexport: boolean;
}

/** Exported names of a module, with the name as declared (re-exports included). */
function exportsOf(sf: ts.SourceFile): Map<string, Exported> {
  const out = new Map<string, Exported>();
  const isExported = (n: ts.Node): boolean => ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const st of sf.statements) {
    const line = sf.getLineAndCharacterOfPosition(st.getStart(sf)).line + 1;
    if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
      for (const el of st.exportClause.elements) out.set(el.name.text, { line, reexport: st.moduleSpecifier !== undefined });
      continue;
    }
    if (!isExported(st)) continue;
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) out.set(d.name.text, { line, reexport: false });
    } else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st)) && st.name) {
      out.set(st.name.text, { line, reexport: false });
    }
  }
  return out;
}

/** Names each module imports from each other module; '*' for a namespace import or an import whose use cannot be followed. */
function importsOf(sf: ts.SourceFile, file: string, used: Map<string, Set<string>>): void {
  const mark = (target: string | undefined, name: string): void => {
    if (!target) return;
    (used.get(target) ?? used.set(target, new Set()).get(target))?.add(name);
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const target = resolveModule(file, node.moduleSpecifier.text);
      if (ts.isImportDeclaration(node)) {
        const clause = node.importClause;
        if (clause?.name) mark(target, 'default');
        const bindings = clause?.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) mark(target, '*');
        if (bindings && ts.isNamedImports(bindings)) for (const el of bindings.elements) mark(target, (el.propertyName ?? el.name).text);
      } else if (!node.exportClause) mark(target, '*');
      else if (ts.isNamedExports(node.exportClause)) for (const el of node.exportClause.elements) mark(target, (el.propertyName ?? el.name).text);
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      const target = resolveModule(file, node.arguments[0].text);
      // `(await import('./x.js')).name`, `const { a, b } = await import('./x.js')`, `import('./x.js')` returned as is.
      let parent: ts.Node = node.parent;
      while (ts.isAwaitExpression(parent) || ts.isParenthesizedExpression(parent)) parent = parent.parent;
      if (ts.isPropertyAccessExpression(parent)) mark(target, parent.name.text);
      else if (ts.isVariableDeclaration(parent) && ts.isObjectBindingPattern(parent.name)) {
        for (const el of parent.name.elements) mark(target, ((el.propertyName ?? el.name) as ts.Identifier).text);
      } else if (ts.isElementAccessExpression(parent) && ts.isStringLiteral(parent.argumentExpression)) mark(target, parent.argumentExpression.text);
      else mark(target, '*');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

/** Whether `name` is used in its own module beyond its declaration. */
function usedLocally(sf: ts.SourceFile, name: string): boolean {
  let count = 0;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === name) count++;
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return count > 1;
}

function main(): number {
  const consumers = [...listTs(path.join(ROOT, 'src')), ...listTs(path.join(ROOT, 'bench')), ...listTs(path.join(ROOT, 'scripts')), path.join(ROOT, 'bin', 'tsc-compose')];
  const parsed = new Map(consumers.map((f) => [f, ts.createSourceFile(f, fs.readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true)]));
  const used = new Map<string, Set<string>>();
  for (const [file, sf] of parsed) importsOf(sf, file, used);
  // A barrel's re-export may serve tests alone (they import from the module's public face).
  const usedByTests = new Map<string, Set<string>>();
  for (const file of listTs(path.join(ROOT, 'test'))) importsOf(ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true), file, usedByTests);
  const problems: string[] = [];
  for (const [file, sf] of parsed) {
    if (!file.startsWith(path.join(ROOT, 'src') + path.sep)) continue;
    const names = used.get(file) ?? new Set<string>();
    if (names.has('*')) continue;
    for (const [name, { line, reexport }] of exportsOf(sf)) {
      if (names.has(name) || usedLocally(sf, name)) continue;
      if (reexport && usedByTests.get(file)?.has(name)) continue;
      if (ALLOWED.has(`${path.relative(ROOT, file)}:${name}`)) continue;
      problems.push(`${path.relative(ROOT, file)}:${line}: ${name} is exported but nothing in src/, bench/ or scripts/ uses it`);
    }
  }
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length === 0) process.stdout.write(`exports: every export of src/ is used\n`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = main();
