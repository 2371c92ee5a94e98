import { page } from "fresh";
import type { ComponentChildren } from "preact";
import { Card, Notice } from "../../../components/Form.tsx";
import { type AnalyticsView, fixed, parseView, viewHref, viewRange } from "../../../components/analytics_view.ts";
import type { CsvCell, PanelCsv } from "../../../components/csv_download.ts";
import AnalyticsChart from "../../../islands/AnalyticsChart.tsx";
import CsvExport from "../../../islands/CsvExport.tsx";
import Heatmap from "../../../islands/Heatmap.tsx";
import { signedIn } from "../../../server/pages.ts";
import { toHttpError } from "../../../server/errors.ts";
import type { MarketAnalytics, PortfolioAnalytics } from "../../../services/analytics/schema.ts";
import { type Iso, ISOS, ZONES } from "../../../services/market/zones.ts";
import { formatMarketTime, resolveZone } from "../../../services/market/market_time.ts";
import { memoReads } from "../../../services/memo.ts";
import { define } from "../../../utils.ts";

/**
 * A view's answer is shared for a while by everyone who asks for it (market data is public; the portfolio's
 * key carries the organization), and its HTML is rendered once per answer, not per request.
 */
const marketReads = memoReads<MarketAnalytics>(30_000, 200);
const portfolioReads = memoReads<PortfolioAnalytics>(10_000, 200);

interface Data {
  view: AnalyticsView;
  error: string | null;
  market: MarketAnalytics | null;
  portfolio: PortfolioAnalytics | null;
}

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const services = ctx.state.services;
    const defaultZone = resolveZone(await services.auth.profile.defaultZone(p.userId)) ?? "PJM";
    const { view, error } = parseView(ctx.url.searchParams, defaultZone);
    const range = viewRange(view);
    const data: Data = { view, error, market: null, portfolio: null };
    const key = `${view.zone}|${
      view.compare.join(",")
    }|${view.market}|${range.from.toISOString()}|${range.to.toISOString()}|${view.z}`;
    let at = 0;
    try {
      if (view.tab === "market") {
        const read = marketReads.get(key, () =>
          services.analytics.market({
            zones: [view.zone, ...view.compare],
            market: view.market,
            ...range,
            threshold: view.z,
          }));
        data.market = await read.value;
        at = read.at;
      } else {
        const read = portfolioReads.get(`${p.orgId}|${key}`, () => services.analytics.portfolio(p.orgId, range));
        data.portfolio = await read.value;
        at = read.at;
      }
    } catch (e) {
      // A database outage is the app's error page (503); anything the caller caused is said on the page.
      const status = toHttpError(e)?.status ?? 500;
      if (status >= 500) throw e;
      data.error = e instanceof Error ? e.message : String(e);
    }
    if (data.error) return page<Data>(data);
    // The navigation shows the viewer, so the viewer is part of the key.
    const cacheKey = `analytics:${p.userId}:${p.role}:${p.name}:${view.tab}:${p.orgId}|${key}:${at}`;
    return page<Data>(data, { cacheKey });
  },
});

const UNIT = "$/MWh";
const MARKET_LABEL = { RT: "Real-time (5-minute)", DA: "Day-ahead (hourly)", SPREAD: "DA − RT spread (hourly)" };
const DOW = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function Table(props: { csv: PanelCsv; panel: string; caption?: string }) {
  return (
    <div class="space-y-2" data-panel={props.panel}>
      <div class="flex justify-end">
        <CsvExport csv={props.csv} />
      </div>
      <div class="overflow-x-auto">
        <table class="min-w-full text-sm">
          {props.caption && <caption class="sr-only">{props.caption}</caption>}
          <thead>
            <tr class="border-b border-slate-200 text-left text-xs uppercase text-slate-500">
              {props.csv.header.map((h) => <th key={h} class="whitespace-nowrap px-2 py-1 font-medium">{h}</th>)}
            </tr>
          </thead>
          <tbody class="divide-y divide-slate-100">
            {props.csv.rows.map((r, i) => (
              <tr key={i}>
                {r.map((c, j) => (
                  <td key={j} class={`whitespace-nowrap px-2 py-1 ${typeof c === "number" ? "tabular-nums" : ""}`}>
                    {c ?? "—"}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {props.csv.rows.length === 0 && <p class="py-2 text-sm text-slate-500">Nothing in this range.</p>}
      </div>
    </div>
  );
}

const csv = (filename: string, header: string[], rows: CsvCell[][]): PanelCsv => ({ filename, header, rows });
const secs = (iso: string) => Date.parse(iso) / 1000;

function Filters({ v }: { v: AnalyticsView }) {
  const input = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";
  return (
    <form
      method="get"
      action="/analytics"
      class="grid grid-cols-2 gap-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:grid-cols-3 lg:grid-cols-6"
    >
      <input type="hidden" name="tab" value={v.tab} />
      <label class="text-sm font-medium text-slate-700">
        Zone
        <select name="zone" class={input}>
          {ISOS.map((z) => <option key={z} value={z} selected={z === v.zone}>{z}</option>)}
        </select>
      </label>
      {v.tab === "market" && (
        <label class="text-sm font-medium text-slate-700">
          Market
          <select name="market" class={input}>
            {(["RT", "DA", "SPREAD"] as const).map((m) => (
              <option key={m} value={m} selected={m === v.market}>{m === "SPREAD" ? "DA − RT" : m}</option>
            ))}
          </select>
        </label>
      )}
      <label class="text-sm font-medium text-slate-700">
        From
        <input type="date" name="from" value={v.from} class={input} />
      </label>
      <label class="text-sm font-medium text-slate-700">
        To (inclusive)
        <input type="date" name="to" value={v.to} class={input} />
      </label>
      {v.tab === "market" && (
        <label class="text-sm font-medium text-slate-700">
          Spike |z| ≥
          <input type="number" name="z" min={2} max={50} step="0.5" value={v.z} class={input} />
        </label>
      )}
      <div class="flex items-end">
        <button
          type="submit"
          class="w-full rounded-md bg-brand-600 px-3 py-2 text-sm font-semibold text-white hover:bg-brand-700"
        >
          Apply
        </button>
      </div>
      {v.tab === "market" && (
        <fieldset class="col-span-full">
          <legend class="text-sm font-medium text-slate-700">Correlate with</legend>
          <div class="mt-1 flex flex-wrap gap-x-4 gap-y-1">
            {ISOS.filter((z) => z !== v.zone).map((z) => (
              <label key={z} class="flex items-center gap-1 text-sm">
                <input type="checkbox" name="compare" value={z} checked={v.compare.includes(z)} /> {z}
              </label>
            ))}
          </div>
        </fieldset>
      )}
    </form>
  );
}

function Grid({ children }: { children: ComponentChildren }) {
  return <div class="grid gap-6 lg:grid-cols-2">{children}</div>;
}

/** Times of the min and max on the zone's market clock (interval start), like every other time on the page. */
function statsRows(zone: Iso, s: MarketAnalytics["stats"] | MarketAnalytics["spread"]["distribution"]): CsvCell[][] {
  const at = (t: string | null) => (t ? formatMarketTime(zone, t) : "");
  return [
    ["Intervals", s.count],
    ["Mean", fixed(s.mean)],
    ["Median", fixed(s.median)],
    ["Std deviation", fixed(s.stddev)],
    ...Object.entries(s.percentiles).map(([k, v]): CsvCell[] => [`${k.slice(1)}th percentile`, fixed(v)]),
    ["Min", fixed(s.min)],
    ["Min at", at(s.min_at)],
    ["Max", fixed(s.max)],
    ["Max at", at(s.max_at)],
    ["Share negative", s.negative_share === null ? "" : `${(s.negative_share * 100).toFixed(2)} %`],
  ];
}

function MarketTab({ m, v }: { m: MarketAnalytics; v: AnalyticsView }) {
  const tz = ZONES[m.zone].timeZone;
  const base = `${m.zone}-${m.market}-${v.from}-${v.to}`;
  const spikeAt = new Map<number, number>();
  const bucket = m.series.bucket_seconds;
  for (const s of m.spikes.items) {
    const b = Math.floor(secs(s.t) / bucket) * bucket;
    spikeAt.set(b, Math.max(spikeAt.get(b) ?? -Infinity, s.price));
  }
  const seriesXs = m.series.items.map((p) => secs(p.t));
  const spreadDaily = m.spread.daily;
  const volatility = m.volatility.items;
  return (
    <div class="space-y-6">
      <p class="text-sm text-slate-600" data-engine={m.engine}>
        {MARKET_LABEL[m.market]} in {m.zone}, {v.from} to {v.to} (market clock). Answered by{" "}
        <strong>{m.engine === "clickhouse" ? "ClickHouse" : "Postgres"}</strong>. Percentiles:{" "}
        {m.percentile_definition}.
      </p>
      <Grid>
        <Card title="Summary" description={`${UNIT}; ${m.stats.spikes} RT spikes in the range`}>
          <Table
            panel="stats"
            csv={csv(`stats-${base}.csv`, ["Statistic", "Value"], [...statsRows(m.zone, m.stats), [
              "Spikes",
              m.stats.spikes,
            ]])}
          />
        </Card>
        <Card
          title="Price"
          description={`Mean per ${bucket / 3600 >= 1 ? `${bucket / 3600} h` : `${bucket / 60} min`}, spikes marked`}
        >
          <AnalyticsChart
            panel="series"
            time
            timeZone={tz}
            xLabel="Time"
            yLabel={UNIT}
            xs={seriesXs}
            series={[
              { label: "Mean", color: "#2f6fed", values: m.series.items.map((p) => p.mean) },
              { label: "Max", color: "#94a3b8", values: m.series.items.map((p) => p.max) },
              { label: "Spike", color: "#dc2626", markers: true, values: seriesXs.map((x) => spikeAt.get(x) ?? null) },
            ]}
            csv={csv(
              `series-${base}.csv`,
              ["bucket_start_utc", "mean", "min", "max", "spike_price"],
              m.series.items.map((p) => [p.t, p.mean, p.min, p.max, spikeAt.get(secs(p.t)) ?? null]),
            )}
          />
        </Card>
        <Card title="Hour × weekday" description={`Mean ${UNIT} on the market clock`}>
          <Heatmap
            cells={m.heatmap}
            unit={UNIT}
            csv={csv(
              `heatmap-${base}.csv`,
              ["weekday", "hour", "mean", "count"],
              m.heatmap.map((c) => [DOW[c.dow], c.hour, c.mean, c.count]),
            )}
          />
        </Card>
        <Card title="Price duration curve" description="The price met or exceeded a share of the time">
          <AnalyticsChart
            panel="duration"
            time={false}
            xLabel="Share of time (%)"
            yLabel={UNIT}
            xs={m.duration.map((d) => d.share * 100)}
            series={[{ label: "Price", color: "#0f766e", values: m.duration.map((d) => d.price) }]}
            csv={csv(`duration-${base}.csv`, ["share", "price"], m.duration.map((d) => [d.share, d.price]))}
          />
        </Card>
        <Card title="DA − RT spread by hour" description="Mean of DA minus the hour's mean RT, market clock">
          <AnalyticsChart
            panel="spread-hour"
            time={false}
            xLabel="Hour of day"
            yLabel={UNIT}
            xs={m.spread.by_hour.map((h) => h.hour)}
            series={[{ label: "Mean spread", color: "#7c3aed", values: m.spread.by_hour.map((h) => h.mean) }]}
            csv={csv(
              `spread-by-hour-${m.zone}-${v.from}-${v.to}.csv`,
              ["hour", "mean", "count"],
              m.spread.by_hour.map((h) => [h.hour, h.mean, h.count]),
            )}
          />
        </Card>
        <Card title="Cumulative spread" description="$ earned by 1 MW INC (DA − RT) or DEC (RT − DA) at every hour">
          <AnalyticsChart
            panel="spread-cumulative"
            time
            timeZone={tz}
            xLabel="Day"
            yLabel="$"
            xs={spreadDaily.map((d) => secs(`${d.date}T12:00:00Z`))}
            series={[
              { label: "INC", color: "#16a34a", values: spreadDaily.map((d) => d.inc) },
              { label: "DEC", color: "#dc2626", values: spreadDaily.map((d) => d.dec) },
            ]}
            csv={csv(
              `spread-daily-${m.zone}-${v.from}-${v.to}.csv`,
              ["date", "hours", "spread", "inc_cumulative", "dec_cumulative"],
              spreadDaily.map((d) => [d.date, d.hours, d.spread, d.inc, d.dec]),
            )}
          />
        </Card>
        <Card title="Spread distribution" description={`Hourly DA − RT, ${UNIT}`}>
          <Table
            panel="spread-distribution"
            csv={csv(
              `spread-distribution-${m.zone}-${v.from}-${v.to}.csv`,
              ["Statistic", "Value"],
              statsRows(m.zone, m.spread.distribution),
            )}
          />
        </Card>
        <Card
          title="Volatility"
          description={`Standard deviation of hourly RT returns (change of the hourly mean) over a trailing ${m.volatility.window_days} days`}
        >
          <AnalyticsChart
            panel="volatility"
            time
            timeZone={tz}
            xLabel="Day"
            yLabel={UNIT}
            xs={volatility.map((d) => secs(`${d.date}T12:00:00Z`))}
            series={[{ label: "Std of returns", color: "#ea580c", values: volatility.map((d) => d.std) }]}
            csv={csv(
              `volatility-${m.zone}-${v.from}-${v.to}.csv`,
              ["date", "std", "returns"],
              volatility.map((d) => [d.date, d.std, d.n]),
            )}
          />
        </Card>
      </Grid>
      <Card
        title="Spikes"
        description={`RT intervals with |robust z| ≥ ${m.spikes.threshold} against the hour-of-week median of the 4 weeks before: ${m.spikes.count} found${
          m.spikes.count > m.spikes.items.length ? `, the ${m.spikes.items.length} largest listed` : ""
        }`}
      >
        <Table
          panel="spikes"
          csv={csv(
            `spikes-${m.zone}-${v.from}-${v.to}.csv`,
            ["Interval start (UTC)", "Price", "Baseline", "Score"],
            [...m.spikes.items].sort((a, b) => a.t.localeCompare(b.t)).map((
              s,
            ) => [s.t, fixed(s.price), fixed(s.baseline), fixed(s.score)]),
          )}
        />
      </Card>
      <Grid>
        <Card title="Correlation" description="Pearson correlation of hourly prices (tick zones above to add)">
          <Table
            panel="correlation"
            csv={csv(
              `correlation-${m.market}-${v.from}-${v.to}.csv`,
              ["Zone", ...m.correlation.zones],
              m.correlation.zones.map((z, i) => [z, ...m.correlation.matrix[i].map((c) => fixed(c, 3))]),
            )}
          />
        </Card>
        <Card title="Forecast accuracy" description="Live DA forecasts over the last 30 operating days">
          <Table
            panel="accuracy"
            csv={csv(
              `forecast-accuracy-${v.to}.csv`,
              ["Zone", "Days", "MAE", "rMAE"],
              m.forecast_accuracy.map((a) =>
                a.n_days ? [a.zone, a.n_days, fixed(a.mae), fixed(a.rmae, 3)] : [a.zone, 0, "not available", ""]
              ),
            )}
          />
        </Card>
      </Grid>
    </div>
  );
}

function revenueRows(rows: PortfolioAnalytics["by_asset"]): CsvCell[][] {
  return rows.map((
    r,
  ) => [r.label, r.bids, fixed(r.awarded_mwh, 3), fixed(r.da_revenue), fixed(r.rt_revenue), fixed(r.revenue)]);
}
const REVENUE_HEADER = ["", "Bids", "MWh", "DA $", "RT $", "Total $"];

function PortfolioTab({ p, v }: { p: PortfolioAnalytics; v: AnalyticsView }) {
  const span = `${v.from}-${v.to}`;
  const t = p.totals;
  return (
    <div class="space-y-6">
      <div class="grid grid-cols-2 gap-3 sm:grid-cols-4" data-panel="totals">
        {([
          ["Revenue", `$${fixed(t.revenue)}`],
          ["Day-ahead", `$${fixed(t.da_revenue)}`],
          ["Real-time", `$${fixed(t.rt_revenue)}`],
          ["Clear rate", p.clearing.clear_rate === null ? "—" : `${(p.clearing.clear_rate * 100).toFixed(1)} %`],
        ] as const).map(([label, value]) => (
          <div key={label} class="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
            <p class="text-xs text-slate-500">{label}</p>
            <p class="text-lg font-semibold tabular-nums">{value}</p>
          </div>
        ))}
      </div>
      <Card title="Revenue by day" description="Settled bids per operating day">
        <AnalyticsChart
          panel="revenue-day"
          time
          xLabel="Day"
          yLabel="$"
          xs={p.by_day.map((d) => secs(`${d.key}T12:00:00Z`))}
          series={[
            { label: "DA", color: "#f59e0b", values: p.by_day.map((d) => d.da_revenue) },
            { label: "RT", color: "#2f6fed", values: p.by_day.map((d) => d.rt_revenue) },
            { label: "Total", color: "#0f172a", values: p.by_day.map((d) => d.revenue) },
          ]}
          csv={csv(
            `revenue-by-day-${span}.csv`,
            ["date", "da_revenue", "rt_revenue", "revenue"],
            p.by_day.map((d) => [d.key, d.da_revenue, d.rt_revenue, d.revenue]),
          )}
        />
      </Card>
      <Grid>
        <Card title="By asset">
          <Table
            panel="by-asset"
            csv={csv(`revenue-by-asset-${span}.csv`, ["Asset", ...REVENUE_HEADER.slice(1)], revenueRows(p.by_asset))}
          />
        </Card>
        <Card title="By zone">
          <Table
            panel="by-zone"
            csv={csv(`revenue-by-zone-${span}.csv`, ["Zone", ...REVENUE_HEADER.slice(1)], revenueRows(p.by_zone))}
          />
        </Card>
        <Card
          title="Capture price"
          description="Realised $/MWh of settled offers against the zone's time-weighted DA price"
        >
          <Table
            panel="capture"
            csv={csv(
              `capture-${span}.csv`,
              ["Zone", "Offered MWh", "Revenue $", "Capture $/MWh", "DA TWAP $/MWh"],
              p.capture.map((
                c,
              ) => [c.zone, fixed(c.offered_mwh, 3), fixed(c.revenue), fixed(c.capture_price), fixed(c.twap)]),
            )}
          />
        </Card>
        <Card title="Clearing" description="Bids that reached clearing">
          <Table
            panel="clearing"
            csv={csv(`clearing-${span}.csv`, ["Submitted", "Cleared", "Clear rate", "Cleared MWh"], [[
              p.clearing.submitted,
              p.clearing.cleared,
              p.clearing.clear_rate === null ? "" : `${(p.clearing.clear_rate * 100).toFixed(1)} %`,
              fixed(p.clearing.cleared_mwh, 3),
            ]])}
          />
        </Card>
        <Card title="Batteries" description="Equivalent full cycles (discharged MWh / capacity) and revenue per cycle">
          <Table
            panel="batteries"
            csv={csv(
              `batteries-${span}.csv`,
              ["Asset", "Discharged MWh", "Cycles", "Revenue $", "$ per cycle"],
              p.batteries.map((
                b,
              ) => [
                b.name,
                fixed(b.discharged_mwh, 3),
                fixed(b.cycles, 3),
                fixed(b.revenue),
                fixed(b.revenue_per_cycle),
              ]),
            )}
          />
        </Card>
        <Card title="Best and worst days">
          <Table
            panel="best-worst"
            csv={csv(
              `best-worst-days-${span}.csv`,
              ["Day", "Rank", "Revenue $"],
              [
                ...p.best_days.map((d, i): CsvCell[] => [d.key, `best ${i + 1}`, fixed(d.revenue)]),
                ...p.worst_days.map((d, i): CsvCell[] => [d.key, `worst ${i + 1}`, fixed(d.revenue)]),
              ],
            )}
          />
        </Card>
      </Grid>
    </div>
  );
}

export default define.page<typeof handler>(function Analytics({ data }) {
  const v = data.view;
  const tab = (t: AnalyticsView["tab"], label: string) => (
    <a
      href={viewHref(v, { tab: t })}
      aria-current={v.tab === t ? "page" : undefined}
      class={`rounded-md px-3 py-1.5 text-sm font-medium ${
        v.tab === t ? "bg-brand-600 text-white" : "text-slate-700 hover:bg-slate-100"
      }`}
    >
      {label}
    </a>
  );
  return (
    <div class="space-y-6">
      <header class="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 class="text-2xl font-bold tracking-tight">Analytics</h1>
          <p class="mt-1 text-sm text-slate-600">
            How prices behaved, where the spread is, what is unusual, and how the portfolio did.
          </p>
        </div>
        <nav aria-label="Analytics tabs" class="flex gap-1 rounded-lg bg-white p-1 shadow-sm ring-1 ring-slate-200">
          {tab("market", "Market")}
          {tab("portfolio", "Portfolio")}
        </nav>
      </header>
      <Filters v={v} />
      {data.error && <Notice kind="error">{data.error}</Notice>}
      {data.market && <MarketTab m={data.market} v={v} />}
      {data.portfolio && <PortfolioTab p={data.portfolio} v={v} />}
    </div>
  );
});
