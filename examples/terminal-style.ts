/**
 * ANSI colours for the example's terminal output. Colour is used only when stdout is a terminal and
 * NO_COLOR is unset (https://no-color.org); FORCE_COLOR turns it on for pipes.
 */

function colourEnabled(): boolean {
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  return process.stdout.isTTY;
}

const enabled = colourEnabled();

function style(open: number, close: number): (text: string) => string {
  return (text) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);
}

export const bold = style(1, 22);
export const dim = style(2, 22);
export const red = style(31, 39);
export const green = style(32, 39);
export const yellow = style(33, 39);
export const blue = style(34, 39);
export const magenta = style(35, 39);
export const cyan = style(36, 39);
export const gray = style(90, 39);

/** Wall-clock time with milliseconds, e.g. 14:03:07.215. */
export function clock(at: number = Date.now()): string {
  const date = new Date(at);
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** One line from the example itself (not from the status stream), e.g. `say("redis", "...")`. */
export function say(source: string, message: string): void {
  console.log(`${dim(clock())}  ${bold(source.padEnd(10))}  ${message}`);
}

/** One error line on stderr. */
export function complain(message: string): void {
  console.error(`${red(bold("error"))}: ${message}`);
}
