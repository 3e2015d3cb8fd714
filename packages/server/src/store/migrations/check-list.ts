import { sql, type RawBuilder } from "kysely";

/**
 * The values of a CHECK ... IN (...) list as SQL literals. Migrations spell the allowed values
 * out (not bound parameters: DDL takes none) from the same constants the code uses.
 */
export function inList(values: readonly string[]): RawBuilder<unknown> {
  for (const value of values) {
    if (!/^[a-z_.-]+$/.test(value)) throw new Error(`refusing to inline ${JSON.stringify(value)} into DDL`);
  }
  return sql.join(values.map((value) => sql.lit(value)));
}
