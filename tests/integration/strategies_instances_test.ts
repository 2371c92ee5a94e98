/**
 * Two app instances on one Postgres, both running the strategy runner: a strategy's day is made exactly
 * once — by the schedule (both instances' ticks race for it) and by "Run now" sent to both at once.
 */
import assert from "node:assert/strict";
import { freshPostgresUrl, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";
import { GOOD_PASSWORD, TEST_JWT_SECRET, uniqueEmail } from "../helpers/test_app.ts";
import { pjmSite } from "../helpers/bids.ts";

serviceTest("strategies: two instances make a strategy's day exactly once", ["postgres"], async () => {
  const databaseUrl = await freshPostgresUrl("strat2", { migrated: true });
  const env = {
    DATABASE_URL: databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    MARKET_SOURCE: "off",
    STRATEGY_RUNNER: "on",
  };
  const apps = await Promise.all([spawnApp(env), spawnApp(env)]);
  const [a, b] = apps;
  const { default: postgres } = await import("postgres");
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const query = async (text: string, params: string[]) => await sql.unsafe(text, params);
  try {
    await Promise.all(apps.map((x) => x.waitReady()));
    const reg = await fetch(`${a.url}/api/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: uniqueEmail("strat2"),
        password: GOOD_PASSWORD,
        name: "Two",
        organization_name: `Two instances ${Date.now()}`,
      }),
    });
    assert.equal(reg.status, 201, await reg.clone().text());
    const token = (await reg.json()).access_token as string;
    const api = async (base: string, method: string, path: string, body?: unknown) => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: r.status, body: await r.json() };
    };
    const site = await api(a.url, "POST", "/api/sites", pjmSite("Two"));
    const asset = await api(a.url, "POST", "/api/assets", {
      site_id: site.body.id,
      name: "PV",
      kind: "solar",
      capacity_mw: 30,
    });
    const strategy = (name: string, enabled: boolean) =>
      api(b.url, "POST", "/api/strategies", {
        name,
        asset_id: asset.body.id,
        kind: "fixed_curve",
        // 24 h before the gate: due at once, on every tick of either instance.
        lead_minutes: 1440,
        enabled,
        params: { side: "offer", segments: [{ price: 25, quantity: 10 }] },
      });

    // "Run now" sent to both instances at once, three times each (the schedule is off for this one).
    const manual = await strategy("Manual", false);
    assert.equal(manual.status, 201, JSON.stringify(manual.body));
    const answers = await Promise.all(
      [a, b, a, b, a, b].map((x) => api(x.url, "POST", `/api/strategies/${manual.body.id}/runs`)),
    );
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 201]);
    const made = answers.find((r) => r.status === 201)!.body.run;
    for (const r of answers) assert.equal(r.body.run.id, made.id);

    // The schedule: both instances tick (every minute, first a few seconds after start) and both find it due.
    const scheduled = await strategy("Scheduled", true);
    assert.equal(scheduled.status, 201);
    const deadline = Date.now() + 150_000;
    let created: { id: string; n: number }[] = [];
    while (Date.now() < deadline) {
      created = [
        ...await query(
          `SELECT id::text, cardinality(bid_ids) AS n FROM strategy_runs WHERE strategy_id = $1 AND outcome = 'created'`,
          [scheduled.body.id],
        ),
      ] as unknown as { id: string; n: number }[];
      if (created.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(created.length, 1, "the scheduled run");
    // The other instance's tick of the same minute finishes too (it waited on the lock, then found the day
    // made): still one run, one set of bids.
    await new Promise((r) => setTimeout(r, 5_000));

    for (const id of [manual.body.id, scheduled.body.id]) {
      const [{ n: runs }] = await query(
        `SELECT count(*)::int AS n FROM strategy_runs WHERE strategy_id = $1 AND outcome = 'created'`,
        [id],
      );
      assert.equal(runs, 1, `one run that made bids for ${id}`);
      const rows = await query(
        `SELECT count(*)::int AS n, count(DISTINCT interval_start)::int AS hours FROM bids WHERE strategy_id = $1`,
        [id],
      );
      assert.ok(rows[0].n >= 23 && rows[0].n <= 25, `a day of bids: ${rows[0].n}`);
      assert.equal(rows[0].n, rows[0].hours, "one bid per hour, no duplicates");
    }
    const schedRun = (await api(a.url, "GET", `/api/strategies/${scheduled.body.id}/runs`)).body.items;
    assert.equal(schedRun.filter((r: { outcome: string }) => r.outcome === "created")[0].trigger, "schedule");
  } finally {
    await sql.end().catch(() => {});
    await Promise.all(apps.map((x) => x.stop()));
  }
}, { sanitizeResources: false, sanitizeOps: false });
