/**
 * A strict parser of Prometheus' text exposition format (0.0.4): HELP and TYPE lines, samples with
 * escaped label values, histogram/summary series grouped under their family. Anything malformed throws,
 * so a test that parses /metrics fails on output a Prometheus server would refuse.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(s: string, line: string): number {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  const v = Number(s);
  if (s === "" || Number.isNaN(v)) throw new Error(`bad value in: ${line}`);
  return v;
}

function parseLabels(s: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf("=", i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = s.slice(i, eq).trim();
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new Error(`bad label name "${name}" in: ${line}`);
    if (s[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let j = eq + 2;
    let value = "";
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === "\\") {
        const next = s[++j];
        value += next === "n" ? "\n" : next;
      } else value += s[j];
    }
    if (j >= s.length) throw new Error(`unterminated label value in: ${line}`);
    if (name in labels) throw new Error(`repeated label ${name} in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (s[i] === ",") i++;
    else if (i < s.length) throw new Error(`expected , between labels in: ${line}`);
  }
  return labels;
}

export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, f = { type: "untyped", samples: [] });
    return f;
  };
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      if (!NAME.test(m[2])) throw new Error(`bad metric name in: ${line}`);
      if (m[1] === "TYPE") {
        if (!TYPES.has(m[3])) throw new Error(`bad type in: ${line}`);
        family(m[2]).type = m[3] as Family["type"];
      } else family(m[2]).help = m[3];
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const [, name, labelText, value] = m;
    const sample = { name, labels: labelText ? parseLabels(labelText, line) : {}, value: parseValue(value, line) };
    const base = name.replace(/_(bucket|sum|count)$/, "");
    const owner = families.get(base)?.type === "histogram" || families.get(base)?.type === "summary" ? base : name;
    family(owner).samples.push(sample);
  }
  for (const [name, f] of families) {
    if (f.type !== "histogram") continue;
    for (const s of f.samples) {
      if (s.name === `${name}_bucket` && !("le" in s.labels)) throw new Error(`${name}: a bucket without le`);
    }
  }
  return families;
}
