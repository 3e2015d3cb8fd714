/**
 * A Vite plugin that prints every chunk's size (raw and gzipped) after a build, and the total of
 * the JavaScript a first visit downloads: the entry chunk and everything it imports statically.
 * Lazy routes are not part of it. The build fails when that total passes the budget, so the
 * initial-JS promise is checked on every build rather than remembered.
 */
import { gzipSync } from "node:zlib";
import type { Plugin } from "vite";

/** The initial-JS budget (gzipped) from the dashboard issue. */
export const INITIAL_JS_BUDGET_BYTES = 250 * 1024;

const BYTES_PER_KB = 1024;

interface ChunkSize {
  readonly file: string;
  readonly raw: number;
  readonly gzip: number;
  readonly initial: boolean;
}

function kb(bytes: number): string {
  return `${(bytes / BYTES_PER_KB).toFixed(1)} KB`;
}

interface ChunkLike {
  readonly type: "chunk";
  readonly fileName: string;
  readonly code: string;
  readonly isEntry: boolean;
  readonly imports: readonly string[];
}

interface AssetLike {
  readonly type: "asset";
  readonly fileName: string;
  readonly source: string | Uint8Array;
}

/** The files a first visit loads: the entry chunks and their static imports, transitively. */
export function initialFiles(chunks: readonly ChunkLike[]): Set<string> {
  const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]));
  const seen = new Set<string>();
  const pending = chunks.filter((chunk) => chunk.isEntry).map((chunk) => chunk.fileName);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    for (const imported of byName.get(name)?.imports ?? []) pending.push(imported);
  }
  return seen;
}

export function buildSizeReport(budget = INITIAL_JS_BUDGET_BYTES): Plugin {
  return {
    name: "upnext-build-size-report",
    apply: "build",
    generateBundle(_options, bundle) {
      const outputs = Object.values(bundle) as (ChunkLike | AssetLike)[];
      const chunks = outputs.filter((output): output is ChunkLike => output.type === "chunk");
      const initial = initialFiles(chunks);
      const sizes: ChunkSize[] = [];
      for (const output of outputs) {
        if (output.fileName.endsWith(".map")) continue;
        const content = output.type === "chunk" ? output.code : output.source;
        const buffer = typeof content === "string" ? Buffer.from(content) : Buffer.from(content);
        sizes.push({
          file: output.fileName,
          raw: buffer.length,
          gzip: gzipSync(buffer).length,
          initial: initial.has(output.fileName),
        });
      }
      sizes.sort((a, b) => b.gzip - a.gzip);
      const width = Math.max(...sizes.map((size) => size.file.length));
      const lines = sizes.map(
        (size) =>
          `  ${size.initial ? "*" : " "} ${size.file.padEnd(width)}  ${kb(size.raw).padStart(10)}  gzip ${kb(size.gzip).padStart(9)}`,
      );
      const initialGzip = sizes.filter((size) => size.initial).reduce((sum, size) => sum + size.gzip, 0);
      const summary = `initial JS (entry + static imports, marked *): ${kb(initialGzip)} gzipped; budget ${kb(budget)}`;
      console.log(`\nDashboard bundle:\n${lines.join("\n")}\n${summary}\n`);
      if (initialGzip > budget) this.error(`The dashboard's ${summary}: over budget.`);
    },
  };
}
