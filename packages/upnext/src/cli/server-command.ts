/**
 * `upnext server start|db migrate|db status`. The server lives in the @upnext/server package and
 * is loaded only when one of these commands runs, so the rest of the CLI stays light and the
 * `upnext` package does not depend on Fastify or SQL drivers (docs/decisions/0013).
 */
import type { Command } from "commander";
import { ARTIFACT_STORAGES } from "@upnext/core";
import { getConfig } from "../runtime/process-config.js";
import { stopOnSignals } from "../runtime/shutdown-signals.js";
import { CliError } from "./cli-error.js";

/** A history database as the CLI uses it. */
export interface ServerDatabase {
  /** A printable location with any password removed. */
  readonly location: string;
  close(): Promise<void>;
}

/**
 * What the CLI uses of @upnext/server, written out here: upnext has no dependency on the server,
 * not even a type one (the server depends on upnext). packages/server/test/server-cli.test.ts
 * checks that the server package satisfies it.
 */
export interface ServerPackage<Database extends ServerDatabase = ServerDatabase> {
  readonly startServer: (options: {
    readonly host?: string;
    readonly port?: number;
    readonly migrate?: boolean;
  }) => Promise<{ readonly url: string; close(): Promise<void> }>;
  readonly openDatabase: (url: string) => Promise<Database>;
  readonly migrate: (database: Database) => Promise<readonly string[]>;
  readonly migrationStatus: (
    database: Database,
  ) => Promise<readonly { readonly name: string; readonly executedAt: Date | null }[]>;
}

const SERVER_PACKAGE = "@upnext/server";

async function loadServer(): Promise<ServerPackage> {
  try {
    return (await import(SERVER_PACKAGE)) as ServerPackage;
  } catch (error) {
    const missing = (error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND";
    throw new CliError(
      missing
        ? `the history server is in the ${SERVER_PACKAGE} package, which is not installed: run 'npm install ${SERVER_PACKAGE}'`
        : `could not load ${SERVER_PACKAGE}: ${error instanceof Error ? error.message : String(error)}`,
      missing ? 2 : 1,
      { cause: error },
    );
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new CliError(`--port ${JSON.stringify(value)} is not a port: use a whole number from 0 to 65535`);
  }
  return port;
}

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function openConfiguredDatabase(server: ServerPackage) {
  const config = getConfig();
  return server.openDatabase(config.databaseUrl);
}

type ArtifactStorageKind = (typeof ARTIFACT_STORAGES)[number];

function parseArtifactStorage(value: string): ArtifactStorageKind {
  const kind = ARTIFACT_STORAGES.find((candidate) => candidate === value);
  if (kind === undefined)
    throw new CliError(
      `--artifact-storage ${JSON.stringify(value)} is not one of ${ARTIFACT_STORAGES.join(", ")}.`,
    );
  return kind;
}

export function registerServerCommand(program: Command): void {
  const server = program
    .command("server")
    .description("The history server: SQL history, REST and live API, dashboard");

  server
    .command("start")
    .description("Migrate the database, then serve the API and ingest the status stream until SIGINT/SIGTERM")
    .option("--host <host>", "address to listen on (default UPNEXT_SERVER_HOST, 127.0.0.1)")
    .option("--port <port>", "port to listen on (default UPNEXT_SERVER_PORT, 8080)", parsePort)
    .option("--no-migrate", "do not apply pending migrations (fail instead if the schema is behind)")
    .option(
      "--artifact-storage <kind>",
      "where artifact contents live: local or s3 (default UPNEXT_ARTIFACT_STORAGE, local)",
      parseArtifactStorage,
    )
    .action(
      async (options: {
        host?: string;
        port?: number;
        migrate: boolean;
        artifactStorage?: ArtifactStorageKind;
      }) => {
        const { startServer } = await loadServer();
        let running;
        try {
          running = await startServer({
            ...(options.artifactStorage === undefined
              ? {}
              : { config: { ...getConfig(), artifactStorage: options.artifactStorage } }),
            ...(options.host === undefined ? {} : { host: options.host }),
            ...(options.port === undefined ? {} : { port: options.port }),
            migrate: options.migrate,
          });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new CliError(
            `the server did not start: ${message}`,
            /Refusing|EADDRINUSE|invalid/.test(message) ? 2 : 1,
            {
              cause: error,
            },
          );
        }
        write(
          `upnext server listening on ${running.url} (API ${running.url}/api/v1, docs ${running.url}/api/v1/docs)`,
        );
        stopOnSignals(() => running.close());
        await new Promise<never>(() => undefined);
      },
    );

  const db = server.command("db").description("The history database");
  db.command("migrate")
    .description("Apply every pending migration (safe to run again; migrations are append-only)")
    .action(async () => {
      const serverPackage = await loadServer();
      const database = await openConfiguredDatabase(serverPackage);
      try {
        const applied = await serverPackage.migrate(database);
        write(
          applied.length === 0
            ? `${database.location}: up to date`
            : `${database.location}: applied ${applied.join(", ")}`,
        );
      } finally {
        await database.close();
      }
    });
  db.command("status")
    .description("List the migrations and whether each has been applied")
    .action(async () => {
      const serverPackage = await loadServer();
      const database = await openConfiguredDatabase(serverPackage);
      try {
        const status = await serverPackage.migrationStatus(database);
        write(database.location);
        for (const entry of status) {
          write(
            `  ${entry.executedAt ? "applied" : "pending"}  ${entry.name}${entry.executedAt ? `  ${entry.executedAt.toISOString()}` : ""}`,
          );
        }
        const pending = status.filter((entry) => !entry.executedAt).length;
        write(pending === 0 ? "up to date" : `${pending} pending: run 'upnext server db migrate'`);
      } finally {
        await database.close();
      }
    });
}
