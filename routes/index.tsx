import { page } from "fresh";
import { StatusBadge } from "../components/StatusBadge.tsx";
import type { HealthResponse } from "../services/health/report.ts";
import LiveZoneTiles from "../islands/LiveZoneTiles.tsx";
import { can } from "../services/auth/rbac.ts";
import { type ZoneOverview, zoneOverview } from "../services/market/overview.ts";
import { memoReads } from "../services/memo.ts";
import { pnl } from "../services/bids/pnl.ts";
import { PnlTable } from "../components/PnlTable.tsx";
import GateCountdowns from "../islands/GateCountdowns.tsx";
import { AlertList, Panel, PnlCards, PositionsTable, SpreadTable, TomorrowGrid } from "../components/TraderPanels.tsx";
import { type TraderDashboard, traderDashboard } from "../services/dashboard/reads.ts";
import { unitsOf } from "../services/market/units.ts";
import { LIVE_PANELS_HEADER } from "../components/live_panels.ts";

/**
 * A panel's last reading answers while the next one is read (at most this long): a page view never waits
 * for the panels' queries once they have been read, however busy the database.
 */
const RENEW = { staleMs: 30_000 };
/** Zone tiles: the same for every viewer, read at most every 2 s. */
const overview = memoReads<ZoneOverview[]>(2_000, 10_000, RENEW);
/** The week's P&L per organization, read at most every 10 s (it changes when bids settle). */
const weekPnl = memoReads<Awaited<ReturnType<typeof pnl>>>(10_000, 1000, RENEW);
/** The trader's panels per organization and reader's time zone, read at most every 2 s. */
const desk = memoReads<TraderDashboard>(2_000, 1000, RENEW);
import { define } from "../utils.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const { services } = ctx.state;
    const auth = ctx.state.auth;
    const db = services.db();
    const memo = auth && can(auth.role, "market:read") ? overview.get("all", () => zoneOverview(db)) : null;
    const zones: ZoneOverview[] | null = memo ? await memo.value : null;
    const trader = auth && can(auth.role, "bids:read");
    const prefs = trader ? await services.auth.profile.preferences(auth.userId) : null;
    const timeZone = prefs?.time_zone ?? "UTC";
    const units = unitsOf(prefs);
    // The live panels' own refresh (after a bid outcome) must show what the outcome changed, not the last reading.
    const fresh = { fresh: ctx.req.headers.get(LIVE_PANELS_HEADER) === "1" };
    const mine = trader
      ? desk.get(`${auth.orgId}|${timeZone}`, () => traderDashboard(db, auth.orgId, { timeZone }), Date.now(), fresh)
      : null;
    const dashboard = mine ? await mine.value : null;
    // Services panel: admins run the platform; everyone else has the status page.
    const admin = auth?.role === "admin";
    const week = trader
      ? weekPnl.get(
        auth.orgId,
        () =>
          pnl(db, auth.orgId, {
            from: new Date(Date.now() - 7 * 86_400_000),
            to: new Date(Date.now() + 86_400_000),
            groupBy: "day",
          }),
        Date.now(),
        fresh,
      )
      : null;
    const profit = week ? await week.value : null;
    // Rendered once per second and per change of any service's state, not per request.
    // The navigation shows the viewer, so the viewer is part of the key.
    const viewer = ctx.state.auth ? `${ctx.state.auth.userId}:${ctx.state.auth.role}:${ctx.state.auth.name}` : "-";
    // The reader's units and clock change the page too.
    const cacheKey = `${viewer}:${units.price}|${units.energy}|${timeZone}:${services.stateVersion()}:${
      memo?.at ?? 0
    }:${week?.at ?? 0}:${mine?.at ?? 0}:${Math.floor(Date.now() / 1000)}`;
    return page({
      report: services.healthReport().body,
      zones,
      profit,
      dashboard,
      units,
      admin,
      signedIn: Boolean(auth),
    }, { cacheKey });
  },
});

export default define.page<typeof handler>(function Dashboard({ data }) {
  const { report, zones, dashboard: d } = data;
  return (
    <div class="space-y-6">
      <header class="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 class="text-2xl font-bold tracking-tight">Dashboard</h1>
          <p class="mt-1 text-sm text-slate-600">
            {d ? "Your positions, the next gates and the prices that matter today." : "The platform at a glance."}
          </p>
        </div>
        <a href="/system-status" class="text-sm font-medium text-brand-600 hover:text-brand-700">
          System status →
        </a>
      </header>
      {d && (
        <>
          <div class="grid gap-6 lg:grid-cols-3">
            <div class="min-w-0 lg:col-span-2">
              <Panel title="My open positions" id="positions" live action={{ href: "/bidding", label: "Bids →" }}>
                <PositionsTable positions={d.positions} units={data.units} />
              </Panel>
            </div>
            <Panel title="Next gate per zone" id="next-gates">
              <GateCountdowns serverNow={d.now} gates={d.gates} />
            </Panel>
          </div>
          <Panel
            title="Tomorrow's day-ahead prices"
            id="tomorrow"
            live
            action={{ href: "/market", label: "Markets →" }}
          >
            <TomorrowGrid items={d.tomorrow} units={data.units} />
          </Panel>
          <div class="grid gap-6 lg:grid-cols-3">
            <Panel title="My P&L" id="pnl" live action={{ href: "/assets", label: "By asset →" }}>
              <PnlCards today={d.pnl.today} week={d.pnl.week} timeZone={d.pnl.time_zone} units={data.units} />
              {data.profit && data.profit.items.length > 0 && (
                <div class="mt-4">
                  <PnlTable
                    items={data.profit.items}
                    total={data.profit.total}
                    byKind={data.profit.by_kind}
                    first="Day"
                  />
                </div>
              )}
            </Panel>
            <Panel title="DA–RT spread so far today" id="spread" live>
              <SpreadTable spreads={d.spreads} units={data.units} />
            </Panel>
            <Panel title="Latest alerts" id="alerts" live action={{ href: "/bidding", label: "All bids →" }}>
              <AlertList alerts={d.alerts} timeZone={d.pnl.time_zone} />
            </Panel>
          </div>
        </>
      )}
      {zones
        ? (
          <section aria-label="Prices by zone">
            <LiveZoneTiles initial={zones} livePanels={Boolean(d)} units={data.units} />
          </section>
        )
        : !data.signedIn && (
          <section class="rounded-xl bg-brand-900 p-6 text-white shadow-sm">
            <h2 class="text-lg font-semibold">Live prices, your assets and your bids in one place</h2>
            <p class="mt-1 max-w-2xl text-sm text-slate-300">
              Sign in to see real-time and day-ahead prices across PJM, MISO, NYISO, ISO-NE, CAISO, ERCOT and SPP.
            </p>
            <div class="mt-4 flex gap-3">
              <a
                href="/login"
                class="rounded-md bg-white px-4 py-2 text-sm font-semibold text-brand-900 hover:bg-slate-100"
              >
                Sign in
              </a>
              <a
                href="/register"
                class="rounded-md px-4 py-2 text-sm font-semibold text-white ring-1 ring-white/40 hover:bg-white/10"
              >
                Create an account
              </a>
            </div>
          </section>
        )}
      {!d && data.profit && (
        <section aria-labelledby="pnl-heading" class="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200">
          <h2 id="pnl-heading" class="text-base font-semibold">P&L, last 7 days</h2>
          <div class="mt-4">
            <PnlTable items={data.profit.items} total={data.profit.total} byKind={data.profit.by_kind} first="Day" />
          </div>
        </section>
      )}
      {data.admin && <ServicesPanel report={report} />}
    </div>
  );
});

/** The platform's services, for admins (everyone else finds them on /system-status). */
function ServicesPanel({ report }: { report: HealthResponse }) {
  const up = report.services.filter((s) => s.status === "available").length;
  const configured = report.services.filter((s) => s.status !== "disabled").length;
  return (
    <section aria-labelledby="services-heading" class="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200">
      <div class="flex flex-wrap items-center justify-between gap-3">
        <h2 id="services-heading" class="text-base font-semibold">Services</h2>
        <StatusBadge status={report.status} />
      </div>
      <p class="mt-2 text-sm text-slate-600">
        <span class="font-semibold tabular-nums text-slate-900" data-testid="services-up">{up}</span> of{" "}
        <span class="tabular-nums">{configured}</span> configured services available · version {report.version}
      </p>
      <ul class="mt-4 grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {report.services.map((s) => (
          <li key={s.name} class="flex items-center justify-between rounded-lg border border-slate-200 px-3 py-2">
            <div>
              <p class="text-sm font-medium">{s.name}</p>
              <p class="text-xs text-slate-500">{s.features.join(", ")}</p>
            </div>
            <StatusBadge status={s.status} />
          </li>
        ))}
      </ul>
    </section>
  );
}
