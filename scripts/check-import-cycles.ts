/**
 * Fails when the source of any package imports itself round a cycle, type-only imports included
 * (a type cycle still ties two files into one unit a reader must take in together). The layer
 * rules — which folder may import which — are ESLint's `no-restricted-imports` in
 * eslint.config.js; this is the part ESLint does not do: eslint-plugin-import-x's `no-cycle`
 * skips type-only imports. See docs/architecture.md.
 *
 * Usage: tsx scripts/check-import-cycles.ts   (part of `npm run lint`)
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(import.meta.dirname, "..");
const SOURCE_ROOTS = [
  "packages/core/src",
  "packages/upnext/src",
  "packages/server/src",
  "packages/dashboard/src",
];
const SOURCE_FILE = /\.tsx?$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return SOURCE_FILE.test(entry.name) && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

const compilerOptions: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
};

/** Every file of ours a file imports (static, dynamic, type-only and re-exports alike). */
function importsOf(file: string, files: ReadonlySet<string>): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const out: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith(".")) continue; // other packages are layered by the lint rules
    const resolved = ts.resolveModuleName(fileName, file, compilerOptions, ts.sys).resolvedModule;
    const target = resolved ? path.resolve(resolved.resolvedFileName) : undefined;
    if (target !== undefined && files.has(target)) out.push(target);
  }
  return out;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

const files = new Set(SOURCE_ROOTS.flatMap((root) => sourceFiles(path.join(ROOT, root))));
const graph = new Map([...files].map((file) => [file, importsOf(file, files)] as const));
const found = cycles(graph);
if (found.length > 0) {
  for (const component of found) {
    console.error(`Import cycle among ${component.length} files:`);
    for (const file of component) {
      const inCycle = (graph.get(file) ?? []).filter((target) => component.includes(target));
      console.error(
        `  ${path.relative(ROOT, file)} -> ${inCycle.map((t) => path.relative(ROOT, t)).join(", ")}`,
      );
    }
  }
  console.error(
    "Break each cycle: move what both sides share into a file of its own (see docs/architecture.md).",
  );
  process.exit(1);
}
console.log(`No import cycles among ${files.size} source files.`);
