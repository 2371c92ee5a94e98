/**
 * The summary rows (bench/lib.ts `report`) of the figures that more than one bench, or a bench with many
 * rows, reports: kept out of the benches so that each adds a line or two to report what it measured.
 */
import { type OnOffResult, report, type WrkResult } from "./lib.ts";

const reqs = (label: string, r: WrkResult) => ({ label, value: r.requestsPerSec, unit: "req/s" });

/** The request path's metering on against off (bench/lib.ts `onOffRounds`), as a ratio of the two. */
export function reportMetering(
  bench: string,
  figure: string,
  m: Pick<OnOffResult, "off" | "overheadPct" | "errors" | "cpuPerRequestUs">,
  unit: string,
) {
  report({
    bench,
    figure: `${figure} metering overhead (on vs off)`,
    value: m.overheadPct,
    unit: "%",
    errors: m.errors,
    target: { op: "<", value: 5, source: "issue 18" },
    baseline: m.cpuPerRequestUs
      ? { label: "server CPU a request, metering off", value: m.cpuPerRequestUs.off, unit: "µs" }
      : { label: "metering off", value: m.off, unit },
  });
}

/** The metering comparison in words: what the overhead was measured by, and each round. */
export function meteringLine(
  m: Omit<OnOffResult, "errors" | "results">,
  unit: string,
): string {
  const list = (xs: number[]) => xs.map((r) => r.toFixed(3)).join(", ");
  const rps = `metering on / off ${m.on.toFixed(0)} / ${m.off.toFixed(0)} ${unit} (on ÷ off by round: ${
    list(m.ratios)
  }, median ${m.ratio.toFixed(3)})`;
  const cpu = m.cpuPerRequestUs && m.cpuRatios
    ? `; server CPU a request ${m.cpuPerRequestUs.on.toFixed(1)} / ${
      m.cpuPerRequestUs.off.toFixed(1)
    } µs (on ÷ off by round: ${list(m.cpuRatios)})`
    : "";
  return `${rps}${cpu}, overhead ${m.overheadPct.toFixed(1)} % by ${m.by} (the median round; target < 5 %: ${
    m.overheadPct < 5 ? "met" : "MISSED"
  })`;
}

/** A rendered page: its throughput, and its ratios to the same bytes from the same app and from bare Deno.serve. */
export function reportSsrPage(
  path: string,
  app: WrkResult,
  sameApp: WrkResult,
  bare: WrkResult,
  /** Against bare, when measured in rounds: the median of the rounds' ratios. */
  bareRatio = app.requestsPerSec / bare.requestsPerSec,
) {
  const errors = app.errors;
  report({ bench: "ssr", figure: `${path} rendered`, value: app.requestsPerSec, unit: "req/s", errors });
  report({
    bench: "ssr",
    figure: `${path} vs bare Deno.serve, same bytes`,
    value: bareRatio,
    unit: "×",
    errors,
    target: { op: ">=", value: 0.5, source: "issue 20" },
    baseline: reqs("bare Deno.serve", bare),
  });
  report({
    bench: "ssr",
    figure: `${path} vs same app, bytes in memory`,
    value: app.requestsPerSec / sameApp.requestsPerSec,
    unit: "×",
    errors,
    target: { op: ">=", value: 0.5, source: "project" },
    baseline: reqs("same app, bytes in memory", sameApp),
  });
}
