/**
 * `npm pack` for each publishable package, and what is inside: sizes and file counts to print, and
 * the rules a tarball must keep (no test files, a README and a LICENSE, the entry points present).
 */
import { join } from "node:path";
import { CheckFailed, mustRun } from "./processes.js";

export const PACKAGES = [
  { name: "@upnext/core", dir: "packages/core" },
  { name: "upnext", dir: "packages/upnext" },
  { name: "@upnext/server", dir: "packages/server" },
] as const;

export type PackageName = (typeof PACKAGES)[number]["name"];

export interface Tarball {
  readonly name: PackageName;
  readonly path: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly string[];
}

interface PackJson {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly { readonly path: string }[];
}

/** Test files and folders by the names this repository (and most others) give them. */
const TEST_FILE = /(^|\/)(test|tests|__tests__|e2e|fixtures)\/|\.(test|spec|e2e)\.[cm]?[jt]sx?$/;
const REQUIRED = ["package.json", "README.md", "LICENSE"];

/** Every rule a packed tarball breaks (empty when it is fine). */
export function tarballProblems(tarball: Tarball, mustHave: readonly string[]): string[] {
  const problems: string[] = [];
  const tests = tarball.files.filter((file) => TEST_FILE.test(file));
  if (tests.length > 0)
    problems.push(`holds test files: ${tests.slice(0, 5).join(", ")}${tests.length > 5 ? ", …" : ""}`);
  for (const file of [...REQUIRED, ...mustHave]) {
    if (!tarball.files.includes(file)) problems.push(`has no ${file}`);
  }
  return problems;
}

export function packAll(root: string, destination: string): Tarball[] {
  return PACKAGES.map(({ name, dir }) => {
    const result = mustRun(`npm pack ${name}`, "npm", ["pack", "--json", "--pack-destination", destination], {
      cwd: join(root, dir),
    });
    const [packed] = JSON.parse(result.stdout) as PackJson[];
    if (packed === undefined) throw new CheckFailed(`npm pack ${name} printed no result`);
    return {
      name,
      path: join(destination, packed.filename),
      size: packed.size,
      unpackedSize: packed.unpackedSize,
      files: packed.files.map((file) => file.path),
    };
  });
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}

export function describe(tarball: Tarball): string {
  return `${tarball.name.padEnd(16)} ${kb(tarball.size).padStart(10)} packed ${kb(tarball.unpackedSize).padStart(10)} unpacked ${String(tarball.files.length).padStart(5)} files`;
}
