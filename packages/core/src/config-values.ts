/** Building blocks of the configuration schema: value parsers and the setting record. */
import { z } from "zod";
import { parseDuration } from "./duration.js";
import { parseSize } from "./size.js";

export const durationMs = z.string().transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch {
    ctx.addIssue({ code: "custom", message: 'expected a duration such as "500ms", "30s", "5m" or "1h"' });
    return z.NEVER;
  }
});

export const bytes = z.string().transform((value, ctx) => {
  try {
    return parseSize(value);
  } catch {
    ctx.addIssue({ code: "custom", message: 'expected a size such as "512KB", "100MB" or "2GB"' });
    return z.NEVER;
  }
});

export const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\s*-?\d+\s*$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const fraction = z
  .string()
  .regex(/^\s*\d*\.?\d+\s*$/, "expected a number")
  .transform(Number)
  .pipe(z.number().min(0).max(1));

export interface Setting<T> {
  readonly env: `UPNEXT_${string}`;
  readonly description: string;
  /** The raw default, as a user would write it in the environment. */
  readonly default: string;
  readonly schema: z.ZodType<T, string>;
  /** When true an invalid value stops the process instead of falling back to the default. */
  readonly fatal?: boolean;
  /** When true an invalid value is not repeated in the error (it holds credentials). */
  readonly secret?: boolean;
}

export function setting<T>(spec: Setting<T>): Setting<T> {
  return spec;
}
