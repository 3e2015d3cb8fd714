#!/usr/bin/env node
// The CLI ships as TypeScript source, and users' entry files are usually TypeScript too: tsx's
// loader must be registered before either is imported.
import process from "node:process";
import { register } from "tsx/esm/api";

register();

// Not a top-level await: `upnext run` never settles main(), and if its workers are stopped by
// other means the process should end quietly (code 0) rather than as an unsettled await (13).
void import("../src/cli/main.ts").then(({ main }) => main(process.argv));
