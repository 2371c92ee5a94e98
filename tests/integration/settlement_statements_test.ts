/**
 * Shadow settlement through the API: a PJM statement generated from real PJM hub prices (../shared/data) for
 * virtual positions OptiBid cleared and settled on the same prices, with planted differences — every one is
 * found and nothing else is flagged; reviews (disputed / explained, audited), filters and the CSV export;
 * malformed files refused with their line numbers and nothing imported; and a 200,000-line statement.
 */
import assert from "node:assert/strict";
import { parsePjmUtcTime } from "../../services/market/replay.ts";
import { call, createOrg, expectError, expectStatus } from "../helpers/auth.ts";
import { serviceTest, testServices } from "../helpers/services.ts";
import { type TestApp, testApp, uniqueIp } from "../helpers/test_app.ts";

const HUBS = ["WESTERN HUB", "AEP GEN HUB", "DOMINION HUB"];
const FROM = Date.UTC(2025, 6, 14, 4); // 2025-07-14 00:00 EPT
const HOURS = 48;
const H = 3_600_000;

/** hub|utc ms → total LMP at OptiBid's precision, read by a plain line split. */
async function prices(market: "da" | "rt"): Promise<Map<string, number>> {
  const text = await Deno.readTextFile(`${testServices.sharedData}/pjm_${market}_hrl_lmps_2025-05_2025-07.csv`);
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const cols = header.split(",");
  const [t, node, lmp] = ["datetime_beginning_utc", "pnode_name", `total_lmp_${market}`].map((c) => cols.indexOf(c));
  const out = new Map<string, number>();
  for (const line of lines) {
    const f = line.split(",");
    out.set(`${f[node]}|${parsePjmUtcTime(f[t])}`, Math.round(Number(f[lmp]) * 1e4) / 1e4);
  }
  return out;
}

function pjmTime(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:00:00 ${
    h < 12 ? "AM" : "PM"
  }`;
}

const PJM_HEADER = "datetime_beginning_utc,datetime_beginning_ept,pnode_id,pnode_name,da_mw,da_lmp,da_energy_charge," +
  "rt_deviation_mw,rt_lmp,balancing_energy_charge";

async function upload(t: TestApp, token: string, csv: string | ReadableStream<Uint8Array>, q: Record<string, string>) {
  const res = await t.fetch(`/api/settlements/statements?${new URLSearchParams(q)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
    body: csv,
    ip: uniqueIp(),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, text };
}

const period = (from: number, hours: number) => ({
  zone: "PJM",
  format: "pjm",
  from: new Date(from).toISOString(),
  to: new Date(from + hours * H).toISOString(),
});

serviceTest("a PJM statement from real prices: planted differences found, nothing else flagged", [
  "postgres",
  "shared-data",
], async () => {
  const t = await testApp();
  const org = await createOrg(t, "shadow");
  const token = org.admin.tokens.access_token;
  const db = t.services.db();
  const [da, rt] = [await prices("da"), await prices("rt")];

  // Virtual INCs at three hubs for 48 hours (placed as submitted, as if before the gate), and the hubs' prices.
  const mwOf = (h: number, i: number) => 1 + ((h + i) % 5);
  for (const [i, hub] of HUBS.entries()) {
    const starts = Array.from({ length: HOURS }, (_, h) => FROM + h * H);
    await db.query(
      `INSERT INTO bids (org_id, kind, location, zone, market, interval_start, interval_end, side, segments, status,
                         created_by, submitted_at)
       SELECT $1, 'virtual', $2, 'PJM', 'DA', to_timestamp(s / 1000.0), to_timestamp(s / 1000.0) + interval '1 hour',
              'inc', jsonb_build_array(jsonb_build_object('price', -1000, 'quantity', q)), 'submitted', $3, now()
         FROM unnest($4::float8[], $5::int[]) AS t(s, q)`,
      [org.id, hub, org.admin.userId, starts, starts.map((_, h) => mwOf(h, i))],
    );
    for (const m of ["DA", "RT"] as const) {
      await db.query(
        `INSERT INTO location_prices (zone, location, market, interval_start, interval_end, lmp)
         SELECT 'PJM', $1, $2, to_timestamp(s / 1000.0), to_timestamp(s / 1000.0) + interval '1 hour', p
           FROM unnest($3::float8[], $4::numeric[]) AS t(s, p)`,
        [hub, m, starts, starts.map((s) => (m === "DA" ? da : rt).get(`${hub}|${s}`)!)],
      );
    }
  }
  // A pass of the clearing job may already be running (on its timer) with data from before the inserts: the
  // next pass sees them. A few passes at most, never a wait on the clock.
  let n = 0;
  for (let pass = 0; pass < 5 && n < HUBS.length * HOURS; pass++) {
    await t.services.bids.clearNow();
    [{ n }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM bids WHERE org_id = $1 AND status = 'settled'`,
      [org.id],
    );
  }
  assert.equal(n, HUBS.length * HOURS, "every virtual cleared and settled");

  // The ISO's statement of the same positions, computed here from the raw prices (PJM's sign: a charge is +).
  const fmt = (v: number) => (Math.round(v * 1e4) / 1e4).toFixed(4);
  const rows: string[] = [];
  const row = (s: number, hub: string, mw: number, daCharge?: number, rtCharge?: number, rtMw = -mw) => {
    const [d, r] = [da.get(`${hub}|${s}`)!, rt.get(`${hub}|${s}`)!];
    rows.push([
      pjmTime(s),
      "",
      "51288",
      hub,
      mw,
      d,
      fmt(daCharge ?? -mw * d),
      rtMw,
      r,
      fmt(rtCharge ?? -rtMw * r),
    ].join(","));
  };
  const at = (h: number) => FROM + h * H;
  const planted = {
    daDiffers: { hub: "WESTERN HUB", h: 5 },
    rtDiffers: { hub: "AEP GEN HUB", h: 17 },
    withinCent: { hub: "DOMINION HUB", h: 30 },
    missing: { hub: "DOMINION HUB", h: 40 },
  };
  for (const [i, hub] of HUBS.entries()) {
    for (let h = 0; h < HOURS; h++) {
      const mw = mwOf(h, i);
      const d = da.get(`${hub}|${at(h)}`)!, r = rt.get(`${hub}|${at(h)}`)!;
      if (hub === planted.missing.hub && h === planted.missing.h) continue;
      if (hub === planted.daDiffers.hub && h === planted.daDiffers.h) row(at(h), hub, mw, -mw * d + 0.5);
      else if (hub === planted.rtDiffers.hub && h === planted.rtDiffers.h) {
        row(at(h), hub, mw, undefined, mw * r - 0.02);
      } else if (hub === planted.withinCent.hub && h === planted.withinCent.h) row(at(h), hub, mw, -mw * d + 0.009);
      else row(at(h), hub, mw);
    }
  }
  // A position OptiBid does not have (its RT leg nets to zero), and a zero line at a hub it has nothing at.
  row(at(12), "CHICAGO HUB", 2, undefined, 0, 0);
  row(at(13), "NEW JERSEY HUB", 0, 0, 0, 0);
  const csv = [PJM_HEADER, ...rows].join("\r\n") + "\r\n";

  const imported = await upload(t, token, csv, { ...period(FROM, HOURS), filename: "pjm-july.csv" });
  assert.equal(imported.status, 201, imported.text.slice(0, 500));
  assert.equal(imported.body.statement.lines, rows.length * 2);
  const totals = Object.fromEntries(
    imported.body.totals.map((x: { status: string; count: number }) => [x.status, x.count]),
  );
  assert.deepEqual(
    { differs: totals.amount_differs, iso: totals.only_iso, ours: totals.only_ours },
    { differs: 2, iso: 1, ours: 2 },
  );
  const id = imported.body.statement.id;

  // The differences, exactly the planted ones.
  const diffs = await call(t, "GET", `/api/settlements/statements/${id}/differences`, { token });
  expectStatus(diffs, 200);
  const found = diffs.body.items.map((d: { hour: string; location: string; market: string; status: string }) =>
    `${d.status} ${d.location} ${d.market} ${d.hour}`
  ).sort();
  const iso = (h: number) => new Date(at(h)).toISOString();
  assert.deepEqual(
    found,
    [
      `amount_differs WESTERN HUB DA ${iso(5)}`,
      `amount_differs AEP GEN HUB RT ${iso(17)}`,
      `only_iso CHICAGO HUB DA ${iso(12)}`,
      `only_ours DOMINION HUB DA ${iso(40)}`,
      `only_ours DOMINION HUB RT ${iso(40)}`,
    ].sort(),
  );
  const wh = diffs.body.items.find((d: { location: string }) => d.location === "WESTERN HUB");
  assert.equal(wh.difference, -0.5, "the ISO pays $0.50 less than OptiBid computed");
  assert.ok(wh.first_line > 1);
  const within = await call(
    t,
    "GET",
    `/api/settlements/statements/${id}/differences?status=matched&location=dominion hub&market=DA&limit=1000`,
    {
      token,
    },
  );
  assert.ok(within.body.items.some((d: { hour: string }) => d.hour === iso(30)), "a $0.009 gap is matched");

  // Dispute one, explain another, with comments; both audited; a matched line is not a difference.
  let r = await call(t, "PUT", `/api/settlements/statements/${id}/reviews`, {
    token,
    body: { hour: iso(5), location: "western hub", market: "DA", status: "disputed", comment: "PJM short by $0.50" },
  });
  expectStatus(r, 200, "dispute");
  assert.equal(r.body.review.status, "disputed");
  assert.equal(r.body.review.by, org.admin.email);
  r = await call(t, "PUT", `/api/settlements/statements/${id}/reviews`, {
    token,
    body: {
      hour: iso(12),
      location: "CHICAGO HUB",
      market: "DA",
      status: "explained",
      comment: "Trade booked by hand",
    },
  });
  expectStatus(r, 200, "explain");
  r = await call(t, "PUT", `/api/settlements/statements/${id}/reviews`, {
    token,
    body: { hour: iso(30), location: "DOMINION HUB", market: "DA", status: "disputed", comment: "x" },
  });
  expectError(r, 409, "not_a_difference");
  r = await call(t, "PUT", `/api/settlements/statements/${id}/reviews`, {
    token,
    body: { hour: iso(30), location: "NOWHERE", market: "DA", status: "disputed", comment: "x" },
  });
  expectError(r, 404, "not_found");
  r = await call(t, "PUT", `/api/settlements/statements/${id}/reviews`, {
    token,
    body: { hour: iso(5), location: "WESTERN HUB", market: "DA", status: "disputed", comment: "" },
  });
  expectStatus(r, 400);
  const audits = await db.query<{ action: string; details: { comment: string } }>(
    `SELECT action, details FROM audit_logs WHERE org_id = $1 AND target_id = $2 ORDER BY id`,
    [org.id, id],
  );
  assert.deepEqual(audits.map((a) => a.action), ["settlement.imported", "settlement.disputed", "settlement.explained"]);
  assert.equal(audits[1].details.comment, "PJM short by $0.50");

  // Filters and export.
  r = await call(t, "GET", `/api/settlements/statements/${id}/differences?review=disputed`, { token });
  assert.equal(r.body.items.length, 1);
  r = await call(t, "GET", `/api/settlements/statements/${id}/differences?review=none&market=RT`, { token });
  assert.equal(r.body.items.length, 2);
  r = await call(t, "GET", `/api/settlements/statements/${id}/differences?limit=2`, { token });
  const next = await call(
    t,
    "GET",
    `/api/settlements/statements/${id}/differences?limit=2&cursor=${r.body.next_cursor}`,
    {
      token,
    },
  );
  assert.equal(r.body.items.length + next.body.items.length, 4);
  assert.notDeepEqual(r.body.items[0], next.body.items[0]);
  const exported = await t.fetch(`/api/settlements/statements/${id}/differences.csv`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const lines = (await exported.text()).trim().split("\n");
  assert.equal(lines.length, 6);
  assert.ok(lines.some((l) => l.includes("WESTERN HUB") && l.includes("disputed") && l.includes("PJM short by $0.50")));

  // Another organization: 404 everywhere.
  const other = (await createOrg(t, "shadow-other")).admin.tokens.access_token;
  expectStatus(await call(t, "GET", `/api/settlements/statements/${id}`, { token: other }), 404);
  expectStatus(await call(t, "GET", `/api/settlements/statements/${id}/differences`, { token: other }), 404);
  expectStatus(
    await call(t, "PUT", `/api/settlements/statements/${id}/reviews`, {
      token: other,
      body: { hour: iso(5), location: "WESTERN HUB", market: "DA", status: "explained", comment: "mine" },
    }),
    404,
  );
  const list = await call(t, "GET", "/api/settlements/statements", { token: other });
  assert.equal(list.body.items.length, 0);
});

serviceTest("malformed statements are refused with their line numbers, and nothing is imported", [
  "postgres",
], async () => {
  const t = await testApp();
  const org = await createOrg(t, "shadow-bad");
  const token = org.admin.tokens.access_token;
  const q = { zone: "PJM", format: "generic", from: "2025-07-01T00:00:00Z", to: "2025-07-02T00:00:00Z" };
  const header = "interval_start,interval_end,location,market,mw,price,amount";
  const good = (h: number) =>
    `2025-07-01T${String(h).padStart(2, "0")}:00:00Z,2025-07-01T${
      String(h + 1).padStart(2, "0")
    }:00:00Z,WESTERN HUB,DA,5,30.5,152.5`;
  const statements = async () =>
    (await t.services.db().query<{ n: number }>(
      `SELECT (SELECT count(*) FROM settlement_statements WHERE org_id = $1)::int
              + (SELECT count(*) FROM settlement_lines l JOIN settlement_statements s ON s.id = l.statement_id
                  WHERE s.org_id = $1)::int AS n`,
      [org.id],
    ))[0].n;

  const cases: [string, string, number[]][] = [
    ["a number that is not one", [header, good(1), good(2), good(3).replace("30.5", "3O.5")].join("\n"), [4]],
    [
      "two bad rows",
      [header, good(1), good(2).replace(",DA,", ",XX,"), good(3), good(4).replace("Z,", ",")].join("\n"),
      [3, 5],
    ],
    ["outside the period", [header, good(1), "2025-07-02T00:00:00Z,2025-07-02T01:00:00Z,W,DA,1,1,1"].join("\n"), [3]],
    ["too many decimals", [header, good(1).replace("152.5", "152.50001")].join("\n"), [2]],
    ["a missing field", [header, good(1), "2025-07-01T05:00:00Z,2025-07-01T06:00:00Z,W,DA,1,1"].join("\n"), [3]],
    ["an unclosed quote", [header, good(1), good(2), '2025-07-01T05:00:00Z,"W'].join("\n"), [4]],
    // csv-parse coded this one INVALID_OPENING_QUOTE (no CSV_ prefix): the import rethrew it instead of a 400.
    ["a stray quote", [header, good(1), good(2).replace("WESTERN HUB", 'WEST"ERN')].join("\n"), [3]],
    ["a wrong header", ["when,where,what", good(1)].join("\n"), [1]],
    ["an end before the start", [header, "2025-07-01T05:00:00Z,2025-07-01T04:00:00Z,W,DA,1,1,1"].join("\n"), [2]],
    ["a control character", [header, good(1).replace("WESTERN HUB", "WEST\x01")].join("\n"), [2]],
    ["no header at all", "", [1]],
  ];
  for (const [what, csv, lines] of cases) {
    const r = await upload(t, token, csv, q);
    assert.equal(r.status, 400, `${what}: ${r.text.slice(0, 300)}`);
    assert.equal(r.body.error.code, "invalid_statement", what);
    assert.deepEqual(r.body.error.details.map((d: { line: number }) => d.line), lines, `${what}: ${r.text}`);
    assert.match(r.body.error.message, /nothing was imported/);
  }
  assert.equal(await statements(), 0, "nothing half-imported");

  // Many bad rows: the first 20 are listed.
  const many = [header, ...Array.from({ length: 50 }, (_, i) => good(i % 23).replace(",DA,", ",ZZ,"))].join("\n");
  const r = await upload(t, token, many, q);
  assert.equal(r.body.error.details.length, 20);
  // Parameters and media type.
  const wrongType = await t.fetch(`/api/settlements/statements?${new URLSearchParams(q)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ a: 1 }),
  });
  assert.equal(wrongType.status, 415);
  await wrongType.body?.cancel();
  assert.equal((await upload(t, token, header, { ...q, to: q.from })).status, 400);
  assert.equal((await upload(t, token, header, { ...q, zone: "NOPE" })).status, 400);
  assert.equal((await upload(t, token, header, { ...q, format: "xml" })).status, 400);
  // A header alone is an empty statement, imported.
  const empty = await upload(t, token, header, q);
  assert.equal(empty.status, 201);
  assert.equal(empty.body.statement.lines, 0);
});

serviceTest("a 200,000-line statement is imported in one streamed transaction", ["postgres"], async () => {
  const t = await testApp();
  const org = await createOrg(t, "shadow-big");
  const token = org.admin.tokens.access_token;
  const N = 200_000;
  const start = Date.UTC(2025, 4, 1);
  const enc = new TextEncoder();
  // Generated while it is sent: 200,000 rows over 100 locations × 2,000 hours (a PJM-like node list).
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i === 0) c.enqueue(enc.encode("interval_start,interval_end,location,market,mw,price,amount\n"));
      if (i >= N) return c.close();
      const rows: string[] = [];
      for (const end = Math.min(i + 5000, N); i < end; i++) {
        const s = start + Math.floor(i / 100) * H;
        rows.push(
          `${new Date(s).toISOString()},${new Date(s + H).toISOString()},NODE ${i % 100},${i % 2 ? "RT" : "DA"},` +
            `${(i % 7) + 1},${(20 + (i % 97) / 4).toFixed(2)},${(((i % 7) + 1) * (20 + (i % 97) / 4)).toFixed(2)}`,
        );
      }
      c.enqueue(enc.encode(rows.join("\n") + "\n"));
    },
  });
  const t0 = performance.now();
  const r = await upload(t, token, body, {
    zone: "PJM",
    format: "generic",
    from: new Date(start).toISOString(),
    to: new Date(start + 90 * 86_400_000).toISOString(),
  });
  const ms = performance.now() - t0;
  assert.equal(r.status, 201, r.text.slice(0, 300));
  assert.equal(r.body.statement.lines, N);
  const onlyIso = r.body.totals.find((x: { status: string }) => x.status === "only_iso");
  assert.equal(onlyIso.count, N, "OptiBid settled nothing there: every line is only the ISO's");
  console.log(
    `200,000-line statement: imported and compared in ${Math.round(ms)} ms (${
      Math.round(N / (ms / 1000))
    } rows/s, load ${(await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ")})`,
  );
});
