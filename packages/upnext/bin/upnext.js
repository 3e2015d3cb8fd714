#!/usr/bin/env node
// The CLI runs from the compiled JavaScript in dist/: nothing else is needed at run time.
// Inside the UpNext repository, tests and `npm start` run Node with --conditions=@upnext/source,
// which resolves #cli (package.json "imports") to the TypeScript source instead; that source
// needs tsx's loader (a dev dependency of the repository), registered before the import.
import process from "node:process";

const main = import.meta.resolve("#cli");
if (/\.[cm]?ts$/.test(main)) {
  const { register } = await import("tsx/esm/api");
  register();
}

// Not a top-level await: `upnext run` never settles main(), and if its workers are stopped by
// other means the process should end quietly (code 0) rather than as an unsettled await (13).
void import(main).then(({ main: run }) => run(process.argv));
