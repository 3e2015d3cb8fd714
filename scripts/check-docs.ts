/**
 * Type-checks the TypeScript examples in README.md and every markdown file under docs/, so the
 * documentation cannot drift from the API. Each ```ts / ```typescript block becomes its own
 * module under .tmp/docs-check/ (wiped on every run) and is compiled with the repository's
 * compiler options; errors are reported at their line in the markdown file. A block whose info
 * string contains `no-check` (```ts no-check) is skipped: use it for fragments that cannot
 * compile on their own.
 *
 * Blocks import the public package as `from "upnext"`, which resolves through the workspace
 * symlink node_modules/upnext to packages/upnext/src.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT_DIR = join(ROOT, ".tmp", "docs-check");
const TSCONFIG = join(OUT_DIR, "tsconfig.json");

interface CodeBlock {
  /** Markdown file, relative to the repository root, with forward slashes. */
  readonly doc: string;
  /** 1-based position among the TypeScript blocks of `doc` (skipped ones count, so names are stable). */
  readonly index: number;
  /** Markdown line (1-based) of the block's first code line. */
  readonly firstLine: number;
  /** Columns removed from every line (the fence's indentation, e.g. inside a list item). */
  readonly indent: number;
  readonly code: string;
  readonly skip: boolean;
}

interface ExtractedBlock extends CodeBlock {
  readonly file: string;
}

function toPosix(path: string): string {
  return path.split(sep).join("/");
}

function markdownFiles(): string[] {
  const files: string[] = [];
  if (existsSync(join(ROOT, "README.md"))) files.push("README.md");
  const docs = join(ROOT, "docs");
  if (existsSync(docs)) {
    for (const entry of readdirSync(docs, { recursive: true, encoding: "utf8" })) {
      if (entry.endsWith(".md")) files.push(toPosix(join("docs", entry)));
    }
  }
  return files.sort();
}

const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/;

/**
 * Fenced code blocks as CommonMark defines them: a closing fence uses the opening character at
 * least as many times, so a ```` block can show ``` blocks without ending early.
 */
function extractBlocks(doc: string, markdown: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  let tsIndex = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i] ?? "");
    if (!open) continue;
    const indent = open[1]?.length ?? 0;
    const fence = open[2] ?? "```";
    const info = (open[3] ?? "").trim();
    // A backtick fence's info string may not contain backticks (that is inline code instead).
    const backticks = fence.startsWith("`");
    if (backticks && info.includes("`")) continue;
    const closing = new RegExp(`^ {0,3}${backticks ? "`" : "~"}{${fence.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !closing.test(lines[end] ?? "")) end++;
    const words = info.split(/\s+/);
    const language = (words[0] ?? "").toLowerCase();
    if (language === "ts" || language === "typescript") {
      tsIndex++;
      const body = lines.slice(i + 1, end).map((line) => stripIndent(line, indent));
      blocks.push({
        doc,
        index: tsIndex,
        firstLine: i + 2,
        indent,
        code: body.join("\n"),
        skip: /(^|\s)no-check(\s|$)/.test(info),
      });
    }
    // An unclosed fence runs to the end of the document, as in CommonMark.
    i = end;
  }
  return blocks;
}

function stripIndent(line: string, indent: number): string {
  let removed = 0;
  while (removed < indent && line[removed] === " ") removed++;
  return line.slice(removed);
}

function slug(doc: string): string {
  return doc
    .replace(/\.md$/i, "")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();
}

function isModule(fileName: string, code: string): boolean {
  return ts.isExternalModule(ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest));
}

/** File-name prefix per document; "docs/a-b.md" and "docs/a/b.md" share a slug, so clashes get a suffix. */
function prefixes(docs: readonly string[]): Map<string, string> {
  const byDoc = new Map<string, string>();
  const taken = new Set<string>();
  for (const doc of docs) {
    let prefix = slug(doc);
    for (let n = 2; taken.has(prefix); n++) prefix = `${slug(doc)}-${n}`;
    taken.add(prefix);
    byDoc.set(doc, prefix);
  }
  return byDoc;
}

function writeBlocks(blocks: readonly CodeBlock[]): ExtractedBlock[] {
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const prefix = prefixes([...new Set(blocks.map((block) => block.doc))]);
  const extracted = blocks
    .filter((block) => !block.skip)
    .map((block): ExtractedBlock => {
      const file = join(OUT_DIR, `${prefix.get(block.doc) ?? slug(block.doc)}-${block.index}.ts`);
      // Appended rather than prepended, so line N of the file stays line N of the block.
      const code = isModule(file, block.code) ? `${block.code}\n` : `${block.code}\nexport {};\n`;
      writeFileSync(file, code);
      return { ...block, file };
    });
  // With no inputs tsc fails (TS18003), so leave no config that cannot be compiled by hand.
  if (extracted.length === 0) return extracted;
  const tsconfig = {
    extends: "../../tsconfig.base.json",
    compilerOptions: { noEmit: true },
    include: extracted.map((block) => relative(OUT_DIR, block.file)),
  };
  writeFileSync(TSCONFIG, `${JSON.stringify(tsconfig, null, 2)}\n`);
  return extracted;
}

function formatDiagnostic(diagnostic: ts.Diagnostic, byFile: ReadonlyMap<string, ExtractedBlock>): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n    ");
  const code = `TS${diagnostic.code}`;
  const { file, start } = diagnostic;
  if (!file || start === undefined) return `error ${code}: ${message}`;
  const { line, character } = file.getLineAndCharacterOfPosition(start);
  const block = byFile.get(toPosix(file.fileName));
  if (!block) {
    // An error outside the extracted blocks, e.g. in a package a block imports.
    return `${toPosix(relative(ROOT, file.fileName))}:${line + 1}:${character + 1} - error ${code}: ${message}`;
  }
  const where = `${block.doc}:${block.firstLine + line}:${block.indent + character + 1}`;
  return `${where} - error ${code}: ${message}\n    (block ${block.index} of ${block.doc}, extracted to ${toPosix(relative(ROOT, block.file))})`;
}

function typeCheck(extracted: readonly ExtractedBlock[]): string[] {
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(TSCONFIG, undefined, host);
  if (!parsed) throw new Error(`Could not read ${TSCONFIG}`);
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences ?? [],
  });
  const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)].filter(
    (diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error,
  );
  const byFile = new Map(extracted.map((block) => [toPosix(block.file), block]));
  return ts.sortAndDeduplicateDiagnostics(diagnostics).map((d) => formatDiagnostic(d, byFile));
}

function main(): number {
  const docs = markdownFiles();
  const blocks = docs.flatMap((doc) => extractBlocks(doc, readFileSync(join(ROOT, doc), "utf8")));
  const extracted = writeBlocks(blocks);
  const skipped = blocks.length - extracted.length;
  const summary = `${extracted.length} TypeScript block(s) in ${docs.length} markdown file(s)${
    skipped > 0 ? `, ${skipped} skipped (no-check)` : ""
  }`;
  if (extracted.length === 0) {
    console.log(`check-docs: nothing to type-check (${summary}).`);
    return 0;
  }
  const errors = typeCheck(extracted);
  if (errors.length > 0) {
    for (const error of errors) console.error(error);
    console.error(`\ncheck-docs: ${errors.length} error(s) in ${summary}.`);
    return 1;
  }
  console.log(`check-docs: ${summary}: no type errors.`);
  return 0;
}

process.exitCode = main();
