/** The market-data REST API: latest (cache, then database), history paging and its 400s, the streamed CSV export. */
import assert from "node:assert/strict";
import { writeTicks } from "../../services/market/store.ts";
import type { PriceTick } from "../../services/market/types.ts";
import { GOOD_PASSWORD, json, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };
const BASE = Date.UTC(2025, 5, 2); // fixed past dates: other tests' ticks cannot collide

function rt(zone: PriceTick["zone"], i: number): PriceTick {
  const start = new Date(BASE + i * 300_000);
  return {
    zone,
    market: "RT",
    interval_start: start.toISOString(),
    interval_end: new Date(start.getTime() + 300_000).toISOString(),
    lmp: 40 + (i % 7),
    energy: 38 + (i % 7),
    congestion: 1.5,
    loss: 0.5,
  };
}

async function session() {
  const t = await testApp();
  const r = await t.fetch("/api/auth/register", {
    ...json({ email: uniqueEmail("mkt"), password: GOOD_PASSWORD, name: "M", organization_name: "Market Org" }),
    ip: uniqueIp(),
  });
  const { access_token } = await r.json();
  const get = (path: string) => t.fetch(path, { headers: { authorization: `Bearer ${access_token}` } });
  return { t, get };
}

Deno.test("history: pages with a cursor until the range is done", opts, async () => {
  const { t, get } = await session();
  await writeTicks(t.services.db(), Array.from({ length: 25 }, (_, i) => rt("NYISO", i)), "test");
  const from = new Date(BASE).toISOString();
  const to = new Date(BASE + 25 * 300_000).toISOString();
  const seen: string[] = [];
  let cursor = "";
  for (let pages = 0; pages < 10; pages++) {
    const r = await get(`/api/market-data/history?zone=NYISO&market=RT&from=${from}&to=${to}&limit=10${cursor}`);
    assert.equal(r.status, 200);
    const body = await r.json();
    seen.push(...body.items.map((x: PriceTick) => x.interval_start));
    if (!body.next_cursor) break;
    cursor = `&cursor=${encodeURIComponent(body.next_cursor)}`;
  }
  assert.equal(seen.length, 25);
  assert.equal(new Set(seen).size, 25);
  assert.deepEqual(seen, [...seen].sort());
});

Deno.test("history: bad input is a 400 naming the field", opts, async () => {
  const { get } = await session();
  const cases: [string, RegExp][] = [
    ["zone=XYZ&from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z", /query\.zone/],
    ["zone=PJM&from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", /from must be before to/],
    ["zone=PJM&from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", /at most 366 days/],
    ["zone=PJM&from=yesterday&to=2025-01-01T00:00:00Z", /query\.from/],
    ["zone=PJM&from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z&limit=10001", /query\.limit/],
    ["zone=PJM&from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z&market=ID", /query\.market/],
    ["zone=PJM&from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z&extra=1", /unknown field "extra"/],
  ];
  for (const [q, expected] of cases) {
    const r = await get(`/api/market-data/history?${q}`);
    assert.equal(r.status, 400, q);
    const body = await r.json();
    assert.equal(body.error.code, "validation_failed");
    assert.match(body.error.message, expected, q);
  }
});

Deno.test("latest: from the database when the cache is cold; unknown zones are a 400", opts, async () => {
  const { t, get } = await session();
  await writeTicks(t.services.db(), [rt("SPP", 0), rt("SPP", 1)], "test");
  const r = await get("/api/market-data/latest?zones=SPP,spp");
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.items.length, 1);
  assert.equal(body.items[0].zone, "SPP");
  assert.ok(body.items[0].rt, "an RT price");
  const bad = await get("/api/market-data/latest?zones=PJM,NOPE");
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error.message, /unknown zone\(s\) NOPE/);
  assert.equal((await t.fetch("/api/market-data/latest")).status, 401);
});

Deno.test("export.csv streams every row of the range with a header", opts, async () => {
  const { t, get } = await session();
  const n = 12_345; // more than two pages of the stream
  await writeTicks(t.services.db(), Array.from({ length: n }, (_, i) => rt("ISONE", i)), "test");
  const from = new Date(BASE).toISOString();
  const to = new Date(BASE + n * 300_000).toISOString();
  const r = await get(`/api/market-data/export.csv?zone=ISONE&market=RT&from=${from}&to=${to}`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type") ?? "", /text\/csv/);
  assert.match(r.headers.get("content-disposition") ?? "", /attachment; filename="ISONE_RT_/);
  let chunks = 0;
  let text = "";
  const decoder = new TextDecoder();
  for await (const c of r.body!) {
    chunks++;
    text += decoder.decode(c, { stream: true });
  }
  const lines = text.trim().split("\n");
  assert.equal(lines[0], "interval_start_utc,interval_end_utc,zone,market,lmp,energy,congestion,loss");
  assert.equal(lines.length, n + 1);
  assert.ok(chunks >= 3, `streamed in pieces (${chunks})`);
  assert.equal(lines[1], `${rt("ISONE", 0).interval_start},${rt("ISONE", 0).interval_end},ISONE,RT,40,38,1.5,0.5`);
});

Deno.test("load: hourly actual and forecast MW of a zone, oldest first; range capped", opts, async () => {
  const { t, get } = await session();
  const { writeLoad } = await import("../../services/market/load_store.ts");
  const at = (h: number) => new Date(BASE + h * 3_600_000).toISOString();
  await writeLoad(t.services.db(), [
    { zone: "ISONE", interval_start: at(1), interval_end: at(2), forecast_mw: 12000.5 },
    { zone: "ISONE", interval_start: at(0), interval_end: at(1), forecast_mw: 11000, actual_mw: 11100.25 },
  ], "test");
  // A later write with only the actual keeps the forecast already known.
  await writeLoad(
    t.services.db(),
    [{ zone: "ISONE", interval_start: at(1), interval_end: at(2), actual_mw: 12100 }],
    "t",
  );
  const r = await get(`/api/market-data/load?zone=ISONE&from=${at(0)}&to=${at(24)}`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), {
    zone: "ISONE",
    items: [
      { interval_start: at(0), interval_end: at(1), actual_mw: 11100.25, forecast_mw: 11000 },
      { interval_start: at(1), interval_end: at(2), actual_mw: 12100, forecast_mw: 12000.5 },
    ],
    next_cursor: null,
  });
  const long = await get(`/api/market-data/load?zone=ISONE&from=2025-01-01T00:00:00Z&to=2025-03-01T00:00:00Z`);
  assert.equal(long.status, 400);
  await long.body?.cancel();
});
