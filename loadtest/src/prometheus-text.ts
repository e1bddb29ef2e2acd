/**
 * A reader of the Prometheus text exposition format (what every ttc service serves at `/metrics`):
 * samples with their labels, and the type each `# TYPE` line declares.
 */

export interface Sample {
  name: string;
  /** The label block as written, `{outcome="answered"}`, or "" without labels. */
  labels: string;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Declared types by metric family name: `counter`, `gauge`, `histogram`, `summary`, `untyped`. */
  types: Map<string, string>;
}

// The label block runs to the line's last `}`: label values may hold spaces and braces, the value and timestamp cannot.
const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+\S+)?$/;
const typeLine = /^#\s*TYPE\s+(\S+)\s+(\S+)/;

/** Parses one scrape; lines it cannot read are skipped (a scrape is evidence, not a contract to enforce). */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const t = typeLine.exec(line);
      if (t) types.set(t[1]!, t[2]!);
      continue;
    }
    const m = sampleLine.exec(line);
    if (m) samples.push({ name: m[1]!, labels: m[2] ?? "", value: sampleValue(m[3]!) });
  }
  return { samples, types };
}

function sampleValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

/** The sum of a metric's samples over all its label sets; undefined when it is absent. */
export function total(exposition: Exposition, name: string): number | undefined {
  let sum: number | undefined;
  for (const s of exposition.samples) if (s.name === name) sum = (sum ?? 0) + s.value;
  return sum;
}
