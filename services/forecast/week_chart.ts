/**
 * A self-contained SVG line chart of hourly series (a sample week of the backtest report): price
 * lines plus an optional shaded band (the 10–90 % interval). Pure: data in, SVG text out, no DOM,
 * so the report can be written by a script and opened in any browser or Markdown viewer.
 * NaN values leave a gap (a line is split, the band is drawn per contiguous run).
 */

export interface ChartLine {
  name: string;
  values: ArrayLike<number>;
  color: string;
  /** SVG stroke-dasharray, e.g. "4 3". */
  dash?: string;
}

export interface ChartBand {
  name: string;
  lower: ArrayLike<number>;
  upper: ArrayLike<number>;
  color: string;
}

export interface WeekChartInput {
  title: string;
  lines: readonly ChartLine[];
  band?: ChartBand;
  /** Label of the first point (e.g. its date); ticks every 24 points are labelled "+1 d", "+2 d", … */
  firstLabel?: string;
  width?: number;
  height?: number;
  yLabel?: string;
}

const escapeXml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const fmt = (v: number) => (Math.round(v * 10) / 10).toString();

/** Contiguous runs [start, end) of indices where `ok(i)` holds. */
function runs(n: number, ok: (i: number) => boolean): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= n; i++) {
    if (i < n && ok(i)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out.push([start, i]);
      start = -1;
    }
  }
  return out;
}

export function weekChartSvg(input: WeekChartInput): string {
  const width = input.width ?? 960;
  const height = input.height ?? 360;
  const m = { left: 56, right: 16, top: 32, bottom: 56 };
  const n = Math.max(0, ...input.lines.map((l) => l.values.length), input.band?.lower.length ?? 0);
  if (n < 2) throw new RangeError("need at least two points");
  const all: number[] = [];
  for (const l of input.lines) for (let i = 0; i < l.values.length; i++) all.push(l.values[i]);
  if (input.band) {
    for (let i = 0; i < input.band.lower.length; i++) all.push(input.band.lower[i], input.band.upper[i]);
  }
  const finite = all.filter(Number.isFinite);
  if (finite.length === 0) throw new RangeError("no finite values");
  let lo = Math.min(...finite), hi = Math.max(...finite);
  if (hi === lo) hi = lo + 1;
  const pad = 0.05 * (hi - lo);
  lo -= pad;
  hi += pad;
  const plotW = width - m.left - m.right, plotH = height - m.top - m.bottom;
  const x = (i: number) => m.left + (i / (n - 1)) * plotW;
  const y = (v: number) => m.top + (1 - (v - lo) / (hi - lo)) * plotH;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(input.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.left}" y="18" font-size="13">${escapeXml(input.title)}</text>`,
  );
  // Horizontal grid with 5 price ticks, vertical lines at day boundaries.
  for (let k = 0; k <= 4; k++) {
    const v = lo + (k / 4) * (hi - lo);
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${fmt(y(v) + 4)}" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  for (let i = 0; i < n; i += 24) {
    const label = i === 0 ? (input.firstLabel ?? "0") : `+${i / 24} d`;
    parts.push(
      `<line x1="${fmt(x(i))}" x2="${fmt(x(i))}" y1="${m.top}" y2="${m.top + plotH}" stroke="#e5e5e5"/>`,
      `<text x="${fmt(x(i))}" y="${m.top + plotH + 14}">${escapeXml(label)}</text>`,
    );
  }
  if (input.yLabel) {
    parts.push(
      `<text transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${
        escapeXml(input.yLabel)
      }</text>`,
    );
  }
  if (input.band) {
    const { lower, upper } = input.band;
    const segs = runs(lower.length, (i) => Number.isFinite(lower[i]) && Number.isFinite(upper[i])).map(([a, b]) => {
      const pts: string[] = [];
      for (let i = a; i < b; i++) pts.push(`${fmt(x(i))},${fmt(y(upper[i]))}`);
      for (let i = b - 1; i >= a; i--) pts.push(`${fmt(x(i))},${fmt(y(lower[i]))}`);
      return `M${pts.join("L")}Z`;
    });
    parts.push(
      `<path data-series="${escapeXml(input.band.name)}" d="${segs.join("")}" fill="${
        escapeXml(input.band.color)
      }" fill-opacity="0.25" stroke="none"/>`,
    );
  }
  for (const l of input.lines) {
    const v = l.values;
    const d = runs(v.length, (i) => Number.isFinite(v[i])).map(([a, b]) => {
      const pts: string[] = [];
      for (let i = a; i < b; i++) pts.push(`${fmt(x(i))},${fmt(y(v[i]))}`);
      return `M${pts.join("L")}`;
    }).join("");
    parts.push(
      `<path data-series="${escapeXml(l.name)}" d="${d}" fill="none" stroke="${escapeXml(l.color)}" stroke-width="1.5"${
        l.dash ? ` stroke-dasharray="${escapeXml(l.dash)}"` : ""
      }/>`,
    );
  }
  // Legend along the bottom.
  const legend = [
    ...(input.band ? [{ name: input.band.name, color: input.band.color, band: true }] : []),
    ...input.lines.map((l) => ({ name: l.name, color: l.color, band: false })),
  ];
  let lx = m.left;
  const ly = height - 16;
  for (const item of legend) {
    parts.push(
      item.band
        ? `<rect x="${lx}" y="${ly - 8}" width="16" height="10" fill="${escapeXml(item.color)}" fill-opacity="0.25"/>`
        : `<line x1="${lx}" x2="${lx + 16}" y1="${ly - 3}" y2="${ly - 3}" stroke="${
          escapeXml(item.color)
        }" stroke-width="2"/>`,
      `<text x="${lx + 20}" y="${ly}">${escapeXml(item.name)}</text>`,
    );
    lx += 28 + 6.5 * item.name.length;
  }
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
