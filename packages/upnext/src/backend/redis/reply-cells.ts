/**
 * Reading the cells of a Lua script's reply. Redis turns Lua numbers into integers and false
 * into nil, and cjson encodes an empty Lua table as {} rather than [], so every reader needs the
 * same forgiving conversions.
 */

/** A string or number cell as a string; anything else (nil, false, nested) as null. */
export function asString(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return null;
}

/** An array cell; anything else (nil, or {} from cjson for an empty table) as an empty list. */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}
