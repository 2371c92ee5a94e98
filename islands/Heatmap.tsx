/**
 * The hour-of-day × weekday profile as an SVG grid (no library): colour from the lowest to the highest mean,
 * the value in each cell's tooltip, and the panel's CSV export.
 */
import { CsvButton } from "../components/CsvButton.tsx";
import type { PanelCsv } from "../components/csv_download.ts";

export interface HeatmapProps {
  cells: { dow: number; hour: number; mean: number; count: number }[];
  unit: string;
  csv: PanelCsv;
}

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** Blue (low) through white to red (high). */
function colour(x: number): string {
  const t = Math.max(0, Math.min(1, x));
  const lerp = (a: number, b: number, u: number) => Math.round(a + (b - a) * u);
  return t < 0.5
    ? `rgb(${lerp(37, 248, t * 2)},${lerp(99, 250, t * 2)},${lerp(235, 252, t * 2)})`
    : `rgb(${lerp(248, 220, (t - 0.5) * 2)},${lerp(250, 38, (t - 0.5) * 2)},${lerp(252, 38, (t - 0.5) * 2)})`;
}

export default function Heatmap({ cells, unit, csv }: HeatmapProps) {
  const means = cells.map((c) => c.mean);
  const lo = Math.min(...means), hi = Math.max(...means);
  const W = 24 * 20 + 40, H = 7 * 20 + 20;
  return (
    <div data-chart="heatmap" class="space-y-2">
      <div class="flex justify-end">
        <CsvButton csv={csv} />
      </div>
      {cells.length === 0 ? <p class="text-sm text-slate-500">No data in this range.</p> : (
        <svg
          viewBox={`0 0 ${W} ${H}`}
          class="h-auto w-full"
          role="img"
          aria-label={`Mean price by weekday and hour, ${lo.toFixed(2)} to ${hi.toFixed(2)} ${unit}`}
          data-drawn="true"
        >
          {DAYS.map((d, i) => <text key={d} x={0} y={i * 20 + 14} font-size="10" fill="#475569">{d}</text>)}
          {Array.from(
            { length: 24 },
            (_, h) =>
              h % 3 === 0 && <text key={h} x={40 + h * 20 + 2} y={7 * 20 + 14} font-size="10" fill="#475569">{h}</text>,
          )}
          {cells.map((c) => (
            <rect
              key={`${c.dow}-${c.hour}`}
              x={40 + c.hour * 20}
              y={(c.dow - 1) * 20}
              width={19}
              height={19}
              fill={colour(hi > lo ? (c.mean - lo) / (hi - lo) : 0.5)}
            >
              <title>{`${DAYS[c.dow - 1]} ${c.hour}:00 — ${c.mean.toFixed(2)} ${unit} (${c.count} intervals)`}</title>
            </rect>
          ))}
        </svg>
      )}
    </div>
  );
}
