import { memoReads } from "../../../services/memo.ts";
import { page } from "fresh";
import { HttpError } from "../../../framework/http_error.ts";
import PriceChart from "../../../islands/PriceChart.tsx";
import { ForecastAccuracyView } from "../../../components/ForecastAccuracyView.tsx";
import { newestRun } from "../../../components/forecast_api.ts";
import { can } from "../../../services/auth/rbac.ts";
import { accuracy, forecasts } from "../../../services/forecast_live/reads.ts";
import type { AccuracyResponse, ForecastItem } from "../../../services/forecast_live/schema.ts";
import { log } from "../../../services/log/logger.ts";
import { Card } from "../../../components/Form.tsx";
import { signedIn } from "../../../server/pages.ts";
import { history } from "../../../services/market/store.ts";
import type { PriceTick } from "../../../services/market/types.ts";
import { type Iso, ISOS, nextGateClosure, ZONES } from "../../../services/market/zones.ts";
import {
  formatMarketInterval,
  formatUserTime,
  marketClock,
  resolveZone,
} from "../../../services/market/market_time.ts";
import { formatPrice, priceIn, type Units, unitsOf } from "../../../services/market/units.ts";
import type { Database } from "../../../db/database.ts";
import { define } from "../../../utils.ts";

const TABLE_ROWS = 24;
const ACCURACY_DAYS = 30;
/** Other instances' commits are not counted in `version()`: their prices show within this. */
const MAX_STALE_MS = 5_000;

/**
 * The next DA gate of a zone, worked out once a minute (time-zone arithmetic is not free per request), with
 * its instant as the page shows it (`toISOString` is most of a microsecond).
 */
const gates = new Map<Iso, { minute: number; gate: ReturnType<typeof nextGateClosure>; at: string }>();
function gateOf(zone: Iso) {
  const minute = Math.floor(Date.now() / 60_000);
  let hit = gates.get(zone);
  // At the gate instant it moves to the next day: recompute when the cached one has passed.
  if (!hit || hit.minute !== minute || hit.gate.closesAt.getTime() <= Date.now()) {
    const gate = nextGateClosure(zone, new Date());
    hit = { minute, gate, at: gate.closesAt.toISOString() };
    gates.set(zone, hit);
  }
  return hit;
}

/** The newest RT rows per zone, read once per data version (every viewer sees the same rows). */
const recentRows = memoReads<PriceTick[]>(MAX_STALE_MS, 100);

function newestRows(db: Database, zone: Iso, version: number) {
  return recentRows.get(`${zone}:${version}`, () => {
    const to = new Date();
    // The newest 24 RT intervals: read the last 3 hours (36 intervals) and keep the tail.
    return history(db, { zone, market: "RT", from: new Date(to.getTime() - 3 * 3_600_000), to, limit: 100 })
      .then((page) => page.items.slice(-TABLE_ROWS).reverse());
  });
}

interface ForecastSummary {
  /** The run of the newest delivery day forecast from yesterday on (null: none yet). */
  latest: ForecastItem | null;
  /** null: the figures could not be read (the page says so rather than failing). */
  accuracy: AccuracyResponse | null;
}

/**
 * The forecast part of the page, the same for every reader of a zone: read at most once per window. A new
 * run (once a day) or a new day of prices shows within it.
 */
const FORECAST_STALE_MS = 30_000;
// The last summary answers while the next is read: a page view does not wait for the accuracy query.
const forecastSummaries = memoReads<ForecastSummary>(FORECAST_STALE_MS, 100, { staleMs: FORECAST_STALE_MS });

function forecastSummary(db: Database, zone: Iso) {
  return forecastSummaries.get(zone, async () => {
    const now = Date.now();
    const [runs, acc] = await Promise.all([
      forecasts(db, {
        zone,
        from: new Date(now - 86_400_000).toISOString(),
        to: new Date(now + 2 * 86_400_000).toISOString(),
      }),
      accuracy(db, zone, ACCURACY_DAYS).catch((e) => {
        log.warn("forecast accuracy could not be read", { zone, error: String(e) });
        return null;
      }),
    ]);
    return { latest: newestRun(runs.items), accuracy: acc };
  });
}

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    // "ISO-NE", "isone", "ISO New England", "ercot"…: one zone, one canonical URL.
    const zone = resolveZone(ctx.params.zone);
    if (!zone) throw new HttpError(404, `No market zone "${ctx.params.zone}"`);
    if (zone !== ctx.params.zone) return ctx.redirect(`/market/${zone}${ctx.url.search}`, 301);
    const { services } = ctx.state;
    const recent = newestRows(services.db(), zone, services.market.version());
    const rows = await recent.value;
    const { gate, at: gateAt } = gateOf(zone);
    // The page shows the viewer (navigation, and the forecast by role) and the rows: all are in the key.
    const cacheKey = `${p.userId}:${p.role}:${p.name}:${zone}:${recent.at}:${gateAt}`;
    // Viewers see prices only: their page neither draws nor asks for a forecast.
    const summary = can(p.role, "forecast:read") ? forecastSummary(services.db(), zone) : null;
    const [forecast, prefs] = await Promise.all([
      summary ? summary.value : null,
      services.auth.profile.preferences(p.userId),
    ]);
    // The viewer's units change every price shown: part of the key.
    const units = unitsOf(prefs);
    const key = `${cacheKey}:${units.price}:${units.energy}`;
    return page({ zone, rows, forecast, units, gate: { date: gate.deliveryDate, at: gateAt } }, {
      cacheKey: summary ? `${key}:${summary.at}` : key,
    });
  },
});

/** A price in the viewer's unit, as a bare number (the column says the unit). */
const money = (v: number, u: Units) => priceIn(v, u.price).toFixed(u.price === "¢/kWh" ? 3 : 2);

export default define.page<typeof handler>(function MarketZone({ data }) {
  const rules = ZONES[data.zone];
  const { units } = data;
  const clock = marketClock(data.zone);
  const latest: PriceTick | undefined = data.rows[0];
  const exportFrom = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 16) + ":00Z";
  const exportTo = new Date().toISOString().slice(0, 16) + ":00Z";
  return (
    <div class="space-y-6">
      <header class="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 class="text-2xl font-bold tracking-tight">{rules.name}</h1>
          <p class="mt-1 text-sm text-slate-600">
            {latest
              ? (
                <>
                  Real-time{" "}
                  <span class="font-semibold tabular-nums text-slate-900" data-testid="latest-price">
                    {formatPrice(latest.lmp, units.price)}
                  </span>{" "}
                  for{" "}
                  <span data-testid="latest-interval">
                    {formatMarketInterval(data.zone, latest.interval_start, latest.interval_end)}
                  </span>
                </>
              )
              : "No prices yet."}
          </p>
        </div>
        <nav aria-label="Zones" class="flex flex-wrap gap-1">
          {ISOS.map((z) => (
            <a
              key={z}
              href={`/market/${z}`}
              aria-current={z === data.zone ? "page" : undefined}
              class={`rounded-md px-2.5 py-1 text-sm font-medium ${
                z === data.zone
                  ? "bg-brand-600 text-white"
                  : "bg-white text-slate-700 ring-1 ring-slate-200 hover:bg-slate-50"
              }`}
            >
              {z}
            </a>
          ))}
        </nav>
      </header>

      <section class="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:p-5" aria-label="Price chart">
        <PriceChart
          zone={data.zone}
          days={1}
          priceUnit={units.price}
          forecast={data.forecast && { latest: data.forecast.latest }}
        />
      </section>

      {data.forecast && (
        <Card
          title="Forecast accuracy, last 30 days"
          description="The live day-ahead forecasts, each as it was made before its gate, against the prices that came."
        >
          <ForecastAccuracyView acc={data.forecast.accuracy} days={ACCURACY_DAYS} priceUnit={units.price} />
        </Card>
      )}

      <div class="grid gap-6 lg:grid-cols-3">
        <Card title="Market rules">
          <dl class="grid grid-cols-2 gap-x-4 gap-y-2 text-sm">
            <dt class="text-slate-500">Market clock</dt>
            <dd data-testid="market-clock">{clock.name} ({clock.short})</dd>
            <dt class="text-slate-500">DA gate closure</dt>
            <dd>
              {rules.daGateClosure} {rules.gateTimeZone === rules.timeZone ? clock.short : "EPT"}, day before
            </dd>
            <dt class="text-slate-500">Next gate</dt>
            <dd>
              {/* The gate is on the gate's clock (MISO: Eastern prevailing, though its day is EST). */}
              <time datetime={data.gate.at} data-testid="next-gate">
                {formatUserTime(rules.gateTimeZone, data.gate.at)}
              </time>
              <span class="ml-1 text-slate-500">for {data.gate.date}</span>
            </dd>
            <dt class="text-slate-500">DA results</dt>
            <dd>≈ {rules.daResultsPublished} {rules.gateTimeZone === rules.timeZone ? clock.short : "EPT"}</dd>
            <dt class="text-slate-500">RT interval</dt>
            <dd>{rules.rtIntervalMinutes} min</dd>
            <dt class="text-slate-500">Offer cap</dt>
            <dd>
              {formatPrice(rules.offerCap, units.price)}
              {rules.costBasedOfferCap > rules.offerCap &&
                ` (cost-based ≤ ${formatPrice(rules.costBasedOfferCap, units.price)})`}
            </dd>
            <dt class="text-slate-500">Offer floor</dt>
            <dd>{formatPrice(rules.offerFloor, units.price)}</dd>
            <dt class="text-slate-500">Offer segments</dt>
            <dd>up to {rules.maxOfferSegments}</dd>
            <dt class="text-slate-500">Bid horizon</dt>
            <dd data-testid="bid-horizon">DA {rules.daHorizonDays} days, RT {rules.rtHorizonHours} h ahead</dd>
          </dl>
        </Card>
        <div class="min-w-0 lg:col-span-2">
          <Card title="Latest real-time prices">
            <div class="-mx-5 overflow-x-auto">
              <table class="min-w-full text-sm tabular-nums">
                <thead class="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
                  <tr>
                    <th class="px-5 py-2 font-medium">Interval ending ({clock.short})</th>
                    <th class="px-3 py-2 text-right font-medium">LMP ({units.price})</th>
                    <th class="px-3 py-2 text-right font-medium">Energy</th>
                    <th class="hidden px-3 py-2 text-right font-medium sm:table-cell">Congestion</th>
                    <th class="hidden px-5 py-2 text-right font-medium sm:table-cell">Loss</th>
                  </tr>
                </thead>
                <tbody class="divide-y divide-slate-100" data-testid="history-table">
                  {data.rows.map((r) => (
                    <tr key={r.interval_start}>
                      <td class="whitespace-nowrap px-5 py-1.5">
                        {formatMarketInterval(data.zone, r.interval_start, r.interval_end).slice(5)}
                      </td>
                      <td class="px-3 py-1.5 text-right font-medium">{money(r.lmp, units)}</td>
                      <td class="px-3 py-1.5 text-right">{money(r.energy, units)}</td>
                      <td class="hidden px-3 py-1.5 text-right sm:table-cell">{money(r.congestion, units)}</td>
                      <td class="hidden px-5 py-1.5 text-right sm:table-cell">{money(r.loss, units)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div class="mt-4 flex flex-wrap gap-2 text-sm">
              <a
                class="rounded-md bg-white px-3 py-1.5 font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50"
                href={`/api/market-data/export.csv?zone=${data.zone}&market=RT&from=${exportFrom}&to=${exportTo}`}
                download
              >
                Export RT, 7 days (CSV)
              </a>
              <a
                class="rounded-md bg-white px-3 py-1.5 font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50"
                href={`/api/market-data/export.csv?zone=${data.zone}&market=DA&from=${exportFrom}&to=${exportTo}`}
                download
              >
                Export DA, 7 days (CSV)
              </a>
            </div>
          </Card>
        </div>
      </div>
    </div>
  );
});
