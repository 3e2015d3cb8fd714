/**
 * The dashboard (packages/dashboard, built by `npm run build` into this package's dashboard/
 * folder, which ships in the @upnext/server tarball) served at `/`. Hashed assets are cached for
 * good (a new build has new names); index.html and the few unhashed files are revalidated on every
 * load, so a rebuilt dashboard is picked up at once.
 * Any other GET outside /api answers index.html and the dashboard's router shows the page (or
 * its own not-found page); /api paths and file names that do not exist keep the JSON 404.
 * Without a build, `/` and the dashboard's paths answer 404 with a page explaining how to make
 * one: not a 5xx, which alerting would count as the server failing.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { API_PREFIX } from "../http/auth.js";

/**
 * The folder holding this package's package.json: the same from src/ (this repository) and from
 * dist/ (an installed package), wherever inside them this file lives.
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/** The dashboard/ folder of the @upnext/server package (the dashboard's vite build writes it). */
export const DEFAULT_DASHBOARD_ROOT = join(packageRoot(), "dashboard");

/** Content-hashed file names never change content: cache them for a year without revalidating. */
const HASHED_ASSET_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;
const REVALIDATE = "no-cache";
const INDEX_FILE = "index.html";
/** Unhashed files at the top of dist/ (from the dashboard's public/ folder). */
const TOP_LEVEL_FILE = /^[\w.-]+\.(?:svg|png|ico|txt|webmanifest)$/;

export interface DashboardStaticOptions {
  /** The built dashboard (default: the dashboard/ folder of this package). */
  readonly root?: string;
}

export const MISSING_BUILD_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>UpNext: dashboard not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#14181f;background:#f6f7f9}code{background:#e6e8ec;padding:.1rem .3rem;border-radius:.25rem}</style>
</head>
<body>
<h1>The dashboard is not built yet</h1>
<p>This copy of @upnext/server has no dashboard/ folder. An installed package always has
one: reinstall it (<code>npm install @upnext/server</code>). In the UpNext repository, run
<code>npm run build</code>, then reload this page (<code>npm start</code> builds it for you).</p>
<p>The API is up: see <a href="${API_PREFIX}/docs">${API_PREFIX}/docs</a>.</p>
</body>
</html>
`;

function pathOf(request: FastifyRequest): string {
  return request.url.split("?")[0] ?? "/";
}

export function dashboardStaticRoutes(options: DashboardStaticOptions = {}) {
  const root = options.root ?? DEFAULT_DASHBOARD_ROOT;
  const assets = join(root, "assets");
  const built = () => existsSync(join(root, INDEX_FILE));

  function sendIndex(reply: FastifyReply): FastifyReply {
    if (!built()) {
      return reply
        .code(404)
        .header("cache-control", REVALIDATE)
        .type("text/html; charset=utf-8")
        .send(MISSING_BUILD_PAGE);
    }
    return reply.header("cache-control", REVALIDATE).sendFile(INDEX_FILE, root, { cacheControl: false });
  }

  return async (app: FastifyInstance): Promise<void> => {
    // Only the reply.sendFile decoration: the routes below decide what is served and how it is cached.
    await app.register(fastifyStatic, { serve: false });

    app.get("/assets/*", { schema: { hide: true } }, (request, reply) => {
      const file = (request.params as { "*": string })["*"];
      return reply.sendFile(file, assets, { immutable: true, maxAge: HASHED_ASSET_MAX_AGE_MS });
    });

    app.get("/", { schema: { hide: true } }, (_request, reply) => sendIndex(reply));

    app.get("/*", { schema: { hide: true } }, (request, reply) => {
      const notFound = (): FastifyReply => {
        reply.callNotFound();
        return reply;
      };
      const path = pathOf(request);
      if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) return notFound();
      const name = path.slice(1);
      if (TOP_LEVEL_FILE.test(name)) {
        if (!existsSync(join(root, name))) return notFound();
        return reply.header("cache-control", REVALIDATE).sendFile(name, root, { cacheControl: false });
      }
      // A path whose last segment looks like a file is a missing file, not a dashboard page.
      const last = path.slice(path.lastIndexOf("/") + 1);
      if (/\.[a-z0-9]{1,8}$/i.test(last)) return notFound();
      return sendIndex(reply);
    });
  };
}
