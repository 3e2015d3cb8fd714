/**
 * Runs `fn` and returns what it threw, failing unless it is an instance of `type`. Tests use it
 * to assert on an error's fields (option, variable, from/to), which `toThrow` cannot reach.
 */
export function catchError<E extends Error>(
  type: abstract new (...args: never[]) => E,
  fn: () => unknown,
): E {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw new Error(`expected ${type.name}, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected ${type.name}, nothing was thrown`);
}
