/**
 * A bid curve as a step chart (price against cumulative MW) in plain SVG, with optional horizontal lines
 * for reference prices. No script: the bid page renders it on the server, the builder re-renders it as
 * the user types.
 */
import { chartDomain, curveSteps, ticks, usd as dollars } from "./bid_format.ts";

export interface RefLine {
  label: string;
  price: number;
  kind: "latest" | "da" | "forecast" | "clearing";
}

/** A price range shaded across the chart: the forecast's 10–90 % interval. */
export interface RefBand {
  label: string;
  low: number;
  high: number;
}

/**
 * The SVG is drawn in a coordinate space of `width` × `height` and scaled to its box. The default suits a
 * phone's width at 1:1 (server-rendered, the box is unknown); the builder passes its measured width, so
 * labels keep their size at any width.
 */
const DEFAULT_W = 340;
const DEFAULT_H = 200;
const M = { top: 12, right: 12, bottom: 28, left: 52 };
const LINE_COLOURS: Record<RefLine["kind"], { stroke: string; text: string; dash: string }> = {
  latest: { stroke: "#d97706", text: "#b45309", dash: "6 4" },
  da: { stroke: "#475569", text: "#334155", dash: "2 3" },
  forecast: { stroke: "#0f766e", text: "#0f766e", dash: "6 3" },
  clearing: { stroke: "#059669", text: "#047857", dash: "8 3" },
};

const BAND_FILL = "rgba(15, 118, 110, 0.14)";

export function CurveChart(props: {
  segments: readonly { price: number; quantity: number }[];
  side: "offer" | "bid";
  lines?: readonly RefLine[];
  band?: RefBand;
  /** Shown instead of the chart when no segment is complete. */
  emptyText?: string;
  testId?: string;
  width?: number;
  height?: number;
  /** How a price reads (the viewer's unit; the caller converts the values): "$42.10" by default. */
  price?: (v: number, digits?: number) => string;
}) {
  const usd = props.price ?? dollars;
  const W = Math.max(200, Math.round(props.width ?? DEFAULT_W));
  const H = Math.max(160, Math.round(props.height ?? DEFAULT_H));
  const points = curveSteps(props.segments);
  const lines = props.lines ?? [];
  if (!points.length) {
    return (
      <div
        class="flex h-40 items-center justify-center rounded-lg border border-dashed border-slate-300 text-sm text-slate-500"
        data-testid={props.testId}
        data-points="0"
      >
        {props.emptyText ?? "No complete segment to draw yet."}
      </div>
    );
  }
  const band = props.band;
  const d = chartDomain(points, [...lines.map((l) => l.price), band?.low, band?.high]);
  const x = (v: number) => M.left + ((v - d.xMin) / (d.xMax - d.xMin)) * (W - M.left - M.right);
  const y = (v: number) => M.top + (1 - (v - d.yMin) / (d.yMax - d.yMin)) * (H - M.top - M.bottom);
  const path = points.map((p, i) => `${i ? "L" : "M"}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join("");
  const stroke = props.side === "offer" ? "#1f56d1" : "#7c3aed";
  const total = points[points.length - 1].x;
  const summary = `${props.side === "offer" ? "Offer" : "Bid"} curve: ` +
    props.segments.map((s) => `${s.quantity} MW at ${usd(s.price)}`).join(", ") +
    (lines.length ? `. ${lines.map((l) => `${l.label} ${usd(l.price)}`).join(", ")}` : "") +
    (band ? `. ${band.label} ${usd(band.low)}–${usd(band.high)}` : "");
  // As many decimals as the step needs: a $0.5 step labelled in whole dollars reads "$31, $31, $32".
  const yDigits = [0, 1, 2, 3].find((n) => Math.abs(Math.round(d.yStep * 10 ** n) - d.yStep * 10 ** n) < 1e-9) ?? 2;
  return (
    <figure class="m-0" data-testid={props.testId} data-points={points.length}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        class="h-auto w-full max-w-full select-none"
        role="img"
        aria-label={summary}
        preserveAspectRatio="xMidYMid meet"
      >
        {ticks(d.yMin, d.yMax, d.yStep).map((v) => (
          <g key={`y${v}`}>
            <line x1={M.left} x2={W - M.right} y1={y(v)} y2={y(v)} stroke="#e2e8f0" stroke-width="1" />
            <text x={M.left - 6} y={y(v) + 4} text-anchor="end" font-size="11" fill="#64748b">{usd(v, yDigits)}</text>
          </g>
        ))}
        {ticks(d.xMin, d.xMax, d.xStep).map((v) => (
          <text key={`x${v}`} x={x(v)} y={H - M.bottom + 16} text-anchor="middle" font-size="11" fill="#64748b">
            {v}
          </text>
        ))}
        <text x={W - M.right} y={H - 2} text-anchor="end" font-size="10" fill="#94a3b8">MW (cumulative)</text>
        <line
          x1={M.left}
          x2={M.left}
          y1={M.top}
          y2={H - M.bottom}
          stroke="#cbd5e1"
          stroke-width="1"
        />
        {d.yMin < 0 && d.yMax > 0 && (
          <line x1={M.left} x2={W - M.right} y1={y(0)} y2={y(0)} stroke="#94a3b8" stroke-width="1" />
        )}
        {band && (
          <rect
            data-band="forecast"
            x={M.left}
            width={W - M.left - M.right}
            y={y(band.high)}
            height={Math.max(1, y(band.low) - y(band.high))}
            fill={BAND_FILL}
          >
            <title>{band.label} {usd(band.low)}–{usd(band.high)}</title>
          </rect>
        )}
        {lines.map((l) => (
          <g key={l.kind} data-line={l.kind}>
            <line
              x1={M.left}
              x2={W - M.right}
              y1={y(l.price)}
              y2={y(l.price)}
              stroke={LINE_COLOURS[l.kind].stroke}
              stroke-width="1.5"
              stroke-dasharray={LINE_COLOURS[l.kind].dash}
            />
            <text
              x={W - M.right - 2}
              y={y(l.price) - 4}
              text-anchor="end"
              font-size="11"
              font-weight="600"
              fill={LINE_COLOURS[l.kind].text}
              stroke="#ffffff"
              stroke-width="3"
              paint-order="stroke"
            >
              {l.label} {usd(l.price)}
            </text>
          </g>
        ))}
        <path d={path} fill="none" stroke={stroke} stroke-width="2.5" stroke-linejoin="round" />
        <line
          x1={x(total)}
          x2={x(total)}
          y1={y(points[points.length - 1].y)}
          y2={H - M.bottom}
          stroke={stroke}
          stroke-width="1"
          stroke-dasharray="2 2"
        />
      </svg>
    </figure>
  );
}
