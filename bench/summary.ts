/**
 * The summary of a `deno task bench` run: every headline figure the benches reported (bench/lib.ts
 * `report`), held against its target, printed as one table at the end and written as JSON, so that a
 * later run can be compared with it (`--compare old.json`). Pure: no I/O here, so it is tested without any.
 */
import { z } from "zod";

export const OPS = ["<", "<=", ">", ">="] as const;
export type Op = typeof OPS[number];

export interface Target {
  op: Op;
  value: number;
  /** Where the target comes from ("issue 20"), so a reader can find its wording. */
  source?: string;
}

/** The figure a ratio is measured against, in the same run: a ratio is only as good as its baseline. */
export interface Baseline {
  label: string;
  value: number;
  unit: string;
}

/** One headline figure, as a bench reports it. */
export interface FigureInput {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  target?: Target;
  baseline?: Baseline;
  /** Failed answers (non-2xx, socket errors) in the measurement: a rate with cheap refusals in it is not a rate. */
  errors?: number;
}

export interface Figure extends FigureInput {
  /** null: no target to meet. */
  met: boolean | null;
  /** The 1/5/15-minute load average when the figure was taken: on a shared machine it says how much it is worth. */
  load: string;
}

/** A value that could not be measured (NaN, e.g. a load generator's output not parsed) meets nothing. */
export function meets(value: number, target: Target): boolean {
  if (!Number.isFinite(value)) return false;
  switch (target.op) {
    case "<":
      return value < target.value;
    case "<=":
      return value <= target.value;
    case ">":
      return value > target.value;
    case ">=":
      return value >= target.value;
  }
}

export function figure(input: FigureInput, load: string): Figure {
  const met = input.target ? meets(input.value, input.target) && !input.errors : null;
  return { ...input, met, load };
}

const finite = z.number().refine(Number.isFinite, "a finite number");
const targetSchema = z.object({ op: z.enum(OPS), value: finite, source: z.string().optional() }).strict();
// JSON has no NaN: a figure that could not be measured is written as null.
const measuredValue = z.number().nullable().transform((v) => v ?? NaN);
const baselineSchema = z.object({ label: z.string(), value: measuredValue, unit: z.string() }).strict();
const figureSchema = z.object({
  bench: z.string().min(1),
  figure: z.string().min(1),
  value: measuredValue,
  unit: z.string(),
  target: targetSchema.optional(),
  baseline: baselineSchema.optional(),
  errors: z.number().int().nonnegative().optional(),
  met: z.boolean().nullable(),
  load: z.string(),
}).strict();

export const summarySchema = z.object({
  version: z.literal(1),
  started_at: z.string(),
  finished_at: z.string(),
  deno: z.string(),
  cores: z.number().int().positive(),
  benches: z.array(z.string()),
  /** Benches that ran and reported no figure (skipped for want of wrk, Postgres…), or failed, with why. */
  missing: z.array(z.object({ bench: z.string(), reason: z.string() }).strict()),
  figures: z.array(figureSchema),
}).strict();
export type Summary = z.infer<typeof summarySchema>;

/** An earlier run's summary from its JSON text; throws a message naming what is wrong. */
export function parseSummary(text: string): Summary {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${e instanceof Error ? e.message : e}`);
  }
  const parsed = summarySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`not a bench summary: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return parsed.data;
}

/** Three significant digits, whole numbers from 1,000 up with separators: the table is read, not parsed. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return "n/a";
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  if (v === 0) return "0";
  return String(Number(v.toPrecision(3)));
}

/** "%" and "×" stick to the number; other units follow a space. */
export function withUnit(v: number, unit: string): string {
  const n = formatNumber(v);
  if (!unit || n === "n/a") return n;
  return unit === "%" || unit === "×" ? n + unit : `${n} ${unit}`;
}

const load1 = (load: string) => load.split(" ")[0];

const OP_SIGN: Record<Op, string> = { "<": "<", "<=": "≤", ">": ">", ">=": "≥" };

export function formatTarget(f: FigureInput): string {
  return f.target ? `${OP_SIGN[f.target.op]} ${withUnit(f.target.value, f.unit)}` : "—";
}

function formatMet(met: boolean | null): string {
  return met === null ? "—" : met ? "met" : "NOT MET";
}

/** Columns padded to their widest cell, a rule under the header. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function measured(f: Figure): string {
  const v = withUnit(f.value, f.unit);
  const errors = f.errors ? `, ${formatNumber(f.errors)} errors` : "";
  return (f.baseline ? `${v} vs ${withUnit(f.baseline.value, f.baseline.unit)} ${f.baseline.label}` : v) + errors;
}

/** The run's table: one row a figure, in the order reported, then the benches that gave none. */
export function formatSummary(s: Pick<Summary, "figures" | "missing">): string {
  const rows = s.figures.map((f) => [
    f.bench,
    f.figure,
    measured(f),
    formatTarget(f),
    formatMet(f.met),
    f.target?.source ?? "",
    // The 1-minute figure; the JSON keeps all three.
    load1(f.load),
  ]);
  for (const m of s.missing) rows.push([m.bench, `no figures: ${m.reason}`, "", "", "NOT MEASURED", "", ""]);
  const header = ["bench", "figure", "measured", "target", "met", "source", "load"];
  const targets = s.figures.filter((f) => f.met !== null);
  const met = targets.filter((f) => f.met).length;
  return `${table(header, rows)}\n${met} of ${targets.length} targets met` +
    (s.missing.length ? `; ${s.missing.length} bench(es) without figures` : "");
}

export interface Change {
  bench: string;
  figure: string;
  unit: string;
  before: number | null;
  now: number | null;
  /** (now − before) / |before| × 100; null when either side is missing or before is 0. */
  changePct: number | null;
  /** Whether the change is for the better, by the target's direction; null without a target or a change. */
  better: boolean | null;
  metBefore: boolean | null;
  metNow: boolean | null;
  /** Reported by the earlier run only. */
  gone: boolean;
  /** The 1-minute load averages the two figures were taken at: a change under different load says less. */
  loadBefore: string;
  loadNow: string;
}

const key = (f: { bench: string; figure: string }) => `${f.bench}\u0000${f.figure}`;

/**
 * Each figure of this run against the same figure (same bench and name) of an earlier run; figures only
 * in the earlier run come last, so that one that stopped being measured is not silently lost — those of
 * the benches in `ran` only, when given (a run of two benches compared with a full one lists those two).
 */
export function compare(now: Figure[], before: Figure[], ran?: string[]): Change[] {
  const old = new Map(before.map((f) => [key(f), f]));
  const out: Change[] = now.map((f) => {
    const b = old.get(key(f));
    old.delete(key(f));
    const target = f.target ?? b?.target;
    const both = b !== undefined && Number.isFinite(b.value) && Number.isFinite(f.value);
    const changePct = both && b.value !== 0 ? ((f.value - b.value) / Math.abs(b.value)) * 100 : null;
    const lowerIsBetter = target ? target.op === "<" || target.op === "<=" : null;
    return {
      bench: f.bench,
      figure: f.figure,
      unit: f.unit,
      before: b && Number.isFinite(b.value) ? b.value : null,
      now: Number.isFinite(f.value) ? f.value : null,
      changePct,
      better: both && lowerIsBetter !== null && f.value !== b.value ? (f.value < b.value) === lowerIsBetter : null,
      metBefore: b?.met ?? null,
      metNow: f.met,
      gone: false,
      loadBefore: b ? load1(b.load) : "",
      loadNow: load1(f.load),
    };
  });
  for (const b of old.values()) {
    if (ran && !ran.includes(b.bench)) continue;
    out.push({
      bench: b.bench,
      figure: b.figure,
      unit: b.unit,
      before: Number.isFinite(b.value) ? b.value : null,
      now: null,
      changePct: null,
      better: null,
      metBefore: b.met,
      metNow: null,
      gone: true,
      loadBefore: load1(b.load),
      loadNow: "",
    });
  }
  return out;
}

function verdict(c: Change): string {
  if (c.gone) return "not measured in this run";
  if (c.metBefore === true && c.metNow === false) return "REGRESSED (target no longer met)";
  if (c.metBefore === false && c.metNow === true) return "now met";
  if (c.before === null && c.now !== null) return "new";
  return c.better === null ? "" : c.better ? "better" : "worse";
}

export function formatComparison(changes: Change[], beforeLabel: string): string {
  const v = (x: number | null, unit: string) => x === null ? "—" : withUnit(x, unit);
  const rows = changes.map((c) => [
    c.bench,
    c.figure,
    v(c.before, c.unit),
    v(c.now, c.unit),
    c.changePct === null ? "" : `${c.changePct >= 0 ? "+" : ""}${c.changePct.toFixed(1)} %`,
    verdict(c),
    c.loadBefore || c.loadNow ? `${c.loadBefore || "—"} → ${c.loadNow || "—"}` : "",
  ]);
  return `compared with ${beforeLabel}\n` +
    table(["bench", "figure", "before", "now", "change", "verdict", "load"], rows);
}

/** The JSON written for the run: JSON.stringify writes NaN (unmeasured) as null, read back as NaN. */
export function summaryJson(s: Summary): string {
  return JSON.stringify(s, null, 2) + "\n";
}
