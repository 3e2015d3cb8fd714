/**
 * A small parser of the Prometheus text exposition format (version 0.0.4), enough to read what a
 * worker's /metrics serves: HELP/TYPE comments, samples with escaped label values, +Inf/NaN.
 */

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromScrape {
  readonly samples: readonly PromSample[];
  /** Metric family name -> type (counter, gauge, histogram, ...). */
  readonly types: ReadonlyMap<string, string>;
  readonly help: ReadonlyMap<string, string>;
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN" || text === "Nan") return Number.NaN;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`not a sample value: ${text}`);
  return value;
}

/** Parses `{a="x",b="y\"z"}` starting at `start` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let index = start + 1;
  for (;;) {
    while (line[index] === " " || line[index] === ",") index++;
    if (line[index] === "}") return { labels, end: index + 1 };
    const eq = line.indexOf("=", index);
    if (eq < 0 || line[eq + 1] !== '"') throw new Error(`bad label in: ${line}`);
    const name = line.slice(index, eq).trim();
    let value = "";
    index = eq + 2;
    for (;;) {
      const char = line[index];
      if (char === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (char === "\\") {
        const next = line[index + 1];
        value += next === "n" ? "\n" : (next ?? "");
        index += 2;
        continue;
      }
      if (char === '"') {
        index++;
        break;
      }
      value += char;
      index++;
    }
    labels[name] = value;
  }
}

export function parsePrometheus(text: string): PromScrape {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const match = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
      if (match?.[1] === "TYPE") types.set(match[2] ?? "", match[3] ?? "");
      else if (match?.[1] === "HELP") help.set(match[2] ?? "", match[3] ?? "");
      continue;
    }
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) throw new Error(`bad sample line: ${line}`);
    const name = line.slice(0, nameEnd);
    let labels: Record<string, string> = {};
    let rest = line.slice(nameEnd);
    if (line[nameEnd] === "{") {
      const parsed = parseLabels(line, nameEnd);
      labels = parsed.labels;
      rest = line.slice(parsed.end);
    }
    const [value] = rest.trim().split(/\s+/);
    if (value === undefined) throw new Error(`sample without a value: ${line}`);
    samples.push({ name, labels, value: parseValue(value) });
  }
  return { samples, types, help };
}

function matches(sample: PromSample, name: string, labels: Readonly<Record<string, string>>): boolean {
  if (sample.name !== name) return false;
  return Object.entries(labels).every(([key, value]) => sample.labels[key] === value);
}

/** The sum of the samples of `name` whose labels include `labels`; undefined when there is none. */
export function sampleValue(
  scrape: PromScrape,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const found = scrape.samples.filter((sample) => matches(sample, name, labels));
  if (found.length === 0) return undefined;
  return found.reduce((sum, sample) => sum + sample.value, 0);
}

/** Like sampleValue, but a missing series fails the test with its name. */
export function valueOf(
  scrape: PromScrape,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const value = sampleValue(scrape, name, labels);
  if (value === undefined) throw new Error(`no sample ${name}${JSON.stringify(labels)} in the scrape`);
  return value;
}

/** GETs `url` and parses the body; checks the content type Prometheus expects. */
export async function scrape(url: string): Promise<PromScrape> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("text/plain")) throw new Error(`GET ${url}: unexpected content type ${type}`);
  return parsePrometheus(await response.text());
}
