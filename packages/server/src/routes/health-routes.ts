/**
 * Liveness (`/health`: the process answers) and readiness (`/ready`: the database and Redis
 * answer), outside /api/v1 so probes need no token.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ServerDependencies } from "../connections/server-dependencies.js";
import { ApiError } from "../http/api-error.js";

const CHECK_TIMEOUT_MS = 2_000;

async function check(run: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`));
        }, CHECK_TIMEOUT_MS);
      }),
    ]);
    return "ok";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: ServerDependencies) {
  return (app: FastifyInstance): void => {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      "/health",
      {
        schema: {
          summary: "Liveness: the server process answers",
          tags: ["health"],
          response: { 200: z.object({ status: z.literal("ok") }) },
        },
      },
      () => ({ status: "ok" as const }),
    );
    routes.get(
      "/ready",
      {
        schema: {
          summary: "Readiness: the database and Redis answer",
          tags: ["health"],
          response: {
            200: z.object({ status: z.literal("ready"), checks: z.record(z.string(), z.string()) }),
          },
        },
      },
      async () => {
        const [redis, database] = await Promise.all([
          check(() => deps.redisBreaker.check()),
          check(() => deps.databaseBreaker.check()),
        ]);
        // check() reports false (not an error) while the dependency is still down.
        const checks = {
          redis: redis === "ok" && !deps.redisBreaker.isOpen ? "ok" : redis === "ok" ? "unavailable" : redis,
          database:
            database === "ok" && !deps.databaseBreaker.isOpen
              ? "ok"
              : database === "ok"
                ? "unavailable"
                : database,
        };
        if (checks.redis !== "ok" || checks.database !== "ok") {
          throw new ApiError(
            503,
            "dependency_unavailable",
            "The server is not ready: a dependency does not answer.",
            {
              checks,
            },
          );
        }
        return { status: "ready" as const, checks };
      },
    );
  };
}
