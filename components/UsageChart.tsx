/** Usage per day as bars (SVG, server-rendered): API requests, with the day's refusals on top in red. */
import type { UsageDay } from "../services/admin/store.ts";

export function UsageChart({ days, height = 160 }: { days: UsageDay[]; height?: number }) {
  const width = Math.max(days.length * 12, 240);
  const max = Math.max(1, ...days.map((d) => d.api_requests + d.rejected));
  const bar = width / Math.max(days.length, 1);
  const y = (v: number) => (v / max) * (height - 18);
  return (
    <figure class="space-y-1">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        class="h-40 w-full"
        preserveAspectRatio="none"
        role="img"
        aria-label={`API requests per day, ${days[0]?.day} to ${days.at(-1)?.day}; the busiest day had ${max}`}
        data-testid="usage-chart"
      >
        {days.map((d, i) => (
          <g key={d.day}>
            <title>{`${d.day}: ${d.api_requests} requests, ${d.rejected} refused, ${d.bids} bids`}</title>
            <rect
              x={i * bar + 1}
              y={height - y(d.api_requests)}
              width={Math.max(bar - 2, 1)}
              height={y(d.api_requests)}
              class="fill-brand-600"
            />
            <rect
              x={i * bar + 1}
              y={height - y(d.api_requests) - y(d.rejected)}
              width={Math.max(bar - 2, 1)}
              height={y(d.rejected)}
              class="fill-red-500"
            />
          </g>
        ))}
      </svg>
      <figcaption class="flex justify-between text-xs text-slate-500">
        <span>{days[0]?.day}</span>
        <span>
          <span class="mr-1 inline-block h-2 w-2 bg-brand-600" />API requests
          <span class="ml-3 mr-1 inline-block h-2 w-2 bg-red-500" />refused
        </span>
        <span>{days.at(-1)?.day}</span>
      </figcaption>
    </figure>
  );
}
