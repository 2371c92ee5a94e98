/**
 * A day-ahead operating day through the batch API, as the day grid sends it: 24 hours of a battery in one
 * request, submitted together (the asset's energy judged across the day with its live bids), all or
 * nothing, and a retry with the same Idempotency-Key replays the answer and creates nothing.
 */
import assert from "node:assert/strict";
import { addDays, dayHours, defaultDay } from "../../components/day_grid.ts";
import type { Principal } from "../../services/auth/principal.ts";
import { type BidDeps, type Caller, createBids } from "../../services/bids/actions.ts";
import { DomainError } from "../../services/errors.ts";
import { gateClosureUtc } from "../../services/market/zones.ts";
import { createOrg } from "../helpers/auth.ts";
import { battery, pjmSite, siteWithAsset } from "../helpers/bids.ts";
import { GOOD_PASSWORD, json, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

async function trader(tag: string) {
  const t = await testApp();
  const r = await t.fetch("/api/auth/register", {
    ...json({ email: uniqueEmail(tag), password: GOOD_PASSWORD, name: "T", organization_name: `${tag} Org` }),
    ip: uniqueIp(),
  });
  const { access_token } = await r.json();
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await t.fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${access_token}`,
        ...(body ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : null };
  };
  const site = await call("POST", "/api/sites", pjmSite("Day Site"));
  const bess = await call("POST", "/api/assets", { site_id: site.body.id, ...battery("Day BESS") });
  assert.equal(bess.status, 201);
  return { t, call, bess: bess.body.id as string };
}

/** A day the gate is open for (the day after the default, so the gate cannot close during the test). */
function openDay() {
  const date = addDays(defaultDay("PJM", new Date()), 1);
  return { date, hours: dayHours("PJM", date) };
}

/**
 * The battery's day: charge 20 MW for HE1–HE6, discharge 20 MW for HE17–HE22, 1 MW offers at $500 in the
 * other hours. Swing ≈ 141 MWh of the 170 MWh usable (200 MWh × 0.1–0.95, 87 % round trip).
 */
function batteryDay(asset: string, hours: { he: number; start: string }[]) {
  return hours.map((h) => ({
    asset_id: asset,
    market: "DA",
    interval_start: h.start,
    side: h.he <= 6 ? "bid" : "offer",
    segments: h.he <= 6
      ? [{ price: 25, quantity: 10 }, { price: 15, quantity: 10 }]
      : h.he >= 17 && h.he <= 22
      ? [{ price: 40, quantity: 10 }, { price: 60, quantity: 10 }]
      : [{ price: 500, quantity: 1 }],
  }));
}

async function countBids(call: Awaited<ReturnType<typeof trader>>["call"], asset: string) {
  const r = await call("GET", `/api/bids?asset_id=${asset}&limit=500`);
  assert.equal(r.status, 200);
  return r.body.items.length as number;
}

Deno.test(
  "bid day: one batch submits the day's 24 bids; a retry with its key replays and creates nothing",
  opts,
  async () => {
    const { t, call, bess } = await trader("daybatch");
    const { hours } = openDay();
    assert.ok(hours.length >= 23 && hours.length <= 25);
    const key = crypto.randomUUID();
    const body = { bids: batteryDay(bess, hours), submit: true };
    const first = await call("POST", "/api/bids/batch", body, { "idempotency-key": key });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.items.length, hours.length);
    assert.ok(first.body.items.every((b: { status: string }) => b.status === "submitted"));
    assert.deepEqual(
      first.body.items.map((b: { interval_start: string }) => Date.parse(b.interval_start)),
      hours.map((h) => Date.parse(h.start)),
    );

    // Each bid's history, outbox event and audit entry, as a single submission writes them.
    const ids = first.body.items.map((b: { id: string }) => b.id);
    const db = t.services.db();
    const events = await db.query<{ from_status: string | null; to_status: string }>(
      `SELECT from_status, to_status FROM bid_events WHERE bid_id = ANY($1::uuid[]) ORDER BY id`,
      [ids],
    );
    assert.equal(events.filter((e) => e.from_status === null && e.to_status === "draft").length, hours.length);
    assert.equal(events.filter((e) => e.from_status === "draft" && e.to_status === "submitted").length, hours.length);
    const outbox = await db.query<{ type: string; version: number }>(
      `SELECT payload->>'type' AS type, (payload->>'version')::int AS version FROM outbox WHERE key = ANY($1::text[])`,
      [ids],
    );
    assert.equal(outbox.filter((o) => o.type === "bid.submitted" && o.version === 2).length, hours.length);
    const audits = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_logs WHERE action = 'bid.submitted' AND target_id = ANY($1::text[])`,
      [ids],
    );
    assert.equal(audits[0].n, hours.length);

    const again = await call("POST", "/api/bids/batch", body, { "idempotency-key": key });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.text, first.text, "the first answer, byte for byte");
    assert.equal(await countBids(call, bess), hours.length, "the retry created nothing");

    // The same day again (a new request) is judged with the first as live bids: the energy no longer fits.
    const twice = await call("POST", "/api/bids/batch", body, { "idempotency-key": crypto.randomUUID() });
    assert.equal(twice.status, 409, twice.text);
    assert.equal(twice.body.error.code, "over_committed");
    assert.equal(await countBids(call, bess), hours.length, "nothing of the refused day was created");
  },
);

Deno.test(
  "bid day: a day the battery cannot deliver is refused whole, naming the hours that broke it",
  opts,
  async () => {
    const { call, bess } = await trader("dayinfeasible");
    const { hours } = openDay();
    // Discharging 20 MW every hour needs ~515 MWh: the energy check fails from the 9th hour on.
    const bids = hours.map((h) => ({
      asset_id: bess,
      market: "DA",
      interval_start: h.start,
      side: "offer",
      segments: [{ price: 30, quantity: 20 }],
    }));
    const r = await call("POST", "/api/bids/batch", { bids, submit: true });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error.code, "over_committed");
    const details = r.body.error.details as { index: number; path: string; code: string; message: string }[];
    assert.ok(details.length > 0);
    for (const d of details) {
      assert.equal(d.code, "energy_infeasible");
      assert.equal(d.path, `bids.${d.index}.segments`);
      assert.match(d.message, new RegExp(`^bids\\.${d.index}\\.segments: `));
    }
    const first = Math.min(...details.map((d) => d.index));
    assert.ok(first >= 7 && first <= 9, `the first hour over the limit (${first})`);
    assert.equal(await countBids(call, bess), 0, "nothing created");

    // A rule of one hour (prices out of order) is a 400 on that hour only, before any commitment check.
    const bad = batteryDay(bess, hours);
    bad[3] = { ...bad[3], segments: [{ price: 10, quantity: 5 }, { price: 20, quantity: 5 }] }; // a charge bid rising
    const r400 = await call("POST", "/api/bids/batch", { bids: bad, submit: true });
    assert.equal(r400.status, 400);
    assert.deepEqual([...new Set(r400.body.error.details.map((d: { index: number }) => d.index))], [3]);
    assert.equal(await countBids(call, bess), 0);
  },
);

Deno.test(
  "bid day: a new version of a submitted day replaces the old one atomically; history keeps both",
  opts,
  async () => {
    const { t, call, bess } = await trader("dayreplace");
    const { hours } = openDay();
    const v1 = await call("POST", "/api/bids/batch", { bids: batteryDay(bess, hours), submit: true });
    assert.equal(v1.status, 201, v1.text);
    const oldIds: string[] = v1.body.items.map((b: { id: string }) => b.id);

    // Without replacing, the same day again over-commits the battery (the first version is live).
    const day2 = batteryDay(bess, hours).map((b) =>
      b.side === "offer" && b.segments.length === 1 ? { ...b, segments: [{ price: 450, quantity: 1 }] } : b
    ).slice(0, -1); // and the last hour left out: its old bid is withdrawn with no successor
    const refused = await call("POST", "/api/bids/batch", { bids: day2, submit: true });
    assert.equal(refused.status, 409);

    const v2 = await call("POST", "/api/bids/batch", { bids: day2, submit: true, replaces: oldIds });
    assert.equal(v2.status, 201, v2.text);
    assert.equal(v2.body.items.length, hours.length - 1);
    const all = (await call("GET", `/api/bids?asset_id=${bess}&limit=500`)).body.items as {
      id: string;
      status: string;
    }[];
    assert.equal(all.length, 2 * hours.length - 1, "both versions are kept");
    assert.ok(all.filter((b) => oldIds.includes(b.id)).every((b) => b.status === "withdrawn"));
    assert.equal(all.filter((b) => b.status === "submitted").length, hours.length - 1);

    const db = t.services.db();
    const history = await db.query<{ bid_id: string; replaced_by: string | null }>(
      `SELECT bid_id, details->>'replaced_by' AS replaced_by FROM bid_events
      WHERE bid_id = ANY($1::uuid[]) AND to_status = 'withdrawn'`,
      [oldIds],
    );
    assert.equal(history.length, hours.length);
    const newIds = new Set(v2.body.items.map((b: { id: string }) => b.id));
    assert.equal(history.filter((h) => h.replaced_by && newIds.has(h.replaced_by)).length, hours.length - 1);
    assert.equal(history.find((h) => h.bid_id === oldIds[hours.length - 1])?.replaced_by, null);

    // Replacing what is already withdrawn is a 409, and nothing of the batch is created.
    const again = await call("POST", "/api/bids/batch", { bids: day2, submit: true, replaces: oldIds });
    assert.equal(again.status, 409);
    assert.equal((await call("GET", `/api/bids?asset_id=${bess}&limit=500`)).body.items.length, 2 * hours.length - 1);
    // Drafts replace drafts only (a submitted bid is not pulled for a draft); an unknown id is a 404.
    const v2Ids: string[] = v2.body.items.map((b: { id: string }) => b.id);
    const asDrafts = await call("POST", "/api/bids/batch", { bids: day2, replaces: v2Ids });
    assert.equal(asDrafts.status, 400);
    assert.equal(asDrafts.body.error.details[0].code, "replaces_live_with_draft");
    const drafts = await call("POST", "/api/bids/batch", { bids: day2 });
    assert.equal(drafts.status, 201);
    const draftIds: string[] = drafts.body.items.map((b: { id: string }) => b.id);
    const redrafted = await call("POST", "/api/bids/batch", { bids: day2, replaces: draftIds });
    assert.equal(redrafted.status, 201, redrafted.text);
    assert.ok(redrafted.body.items.every((b: { status: string }) => b.status === "draft"));
    for (const id of draftIds) assert.equal((await call("GET", `/api/bids/${id}`)).body.status, "withdrawn");
    assert.equal(
      (await call("POST", "/api/bids/batch", { bids: day2, submit: true, replaces: [crypto.randomUUID()] })).status,
      404,
    );
  },
);

Deno.test("bid day: after the day's gate its bids can no longer be replaced", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "daygate");
  const { assetId } = await siteWithAsset(t, org.admin.tokens.access_token, battery("Gate BESS"));
  const principal: Principal = {
    userId: org.admin.userId,
    orgId: org.id,
    role: "admin",
    email: org.admin.email,
    name: org.admin.name,
    via: "bearer",
  };
  const caller: Caller = { principal, ip: "203.0.113.9" };
  const deps = (now?: Date): BidDeps => ({
    db: t.services.db(),
    bids: { writer: t.services.bids.writer, kick: () => {} },
    now: now ? () => now : undefined,
  });
  const { date, hours } = openDay();
  const v1 = await createBids(deps(), caller, { bids: batteryDay(assetId, hours), submit: true });
  const oldIds = v1.value.items.map((b) => b.id);
  // A minute after the day's gate, the next day's is still open: its bids are fine, the replacement is not.
  const late = new Date(gateClosureUtc("PJM", date).getTime() + 60_000);
  const next = dayHours("PJM", addDays(date, 1));
  await assert.rejects(
    createBids(deps(late), caller, { bids: batteryDay(assetId, next), submit: true, replaces: oldIds }),
    (e) => e instanceof DomainError && e.kind === "conflict" && e.code === "gate_closed",
  );
  const rows = await t.services.db().query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM bids WHERE asset_id = $1 GROUP BY status`,
    [assetId],
  );
  assert.deepEqual(rows, [{ status: "submitted", n: hours.length }], "nothing changed");
  // The same replacement before the gate goes through.
  const early = new Date(gateClosureUtc("PJM", date).getTime() - 60_000);
  const v2 = await createBids(deps(early), caller, {
    bids: batteryDay(assetId, hours),
    submit: true,
    replaces: oldIds,
  });
  assert.equal(v2.value.items.length, hours.length);
});

Deno.test(
  "bid day: both 2025 DST days as one batch each — 23 and 25 hours, HE2* included, energy judged per day",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "daydst");
    const { assetId } = await siteWithAsset(t, org.admin.tokens.access_token, battery("DST BESS"));
    const caller: Caller = {
      principal: {
        userId: org.admin.userId,
        orgId: org.id,
        role: "admin",
        email: org.admin.email,
        name: org.admin.name,
        via: "bearer",
      },
    };
    for (const [date, length] of [["2025-03-09", 23], ["2025-11-02", 25]] as const) {
      const hours = dayHours("PJM", date);
      assert.equal(hours.length, length);
      // Two days before, when the gate is open and the day within the horizon.
      const now = new Date(gateClosureUtc("PJM", date).getTime() - 86_400_000);
      const deps: BidDeps = {
        db: t.services.db(),
        bids: { writer: t.services.bids.writer, kick: () => {} },
        now: () => now,
      };
      const out = await createBids(deps, caller, { bids: batteryDay(assetId, hours), submit: true });
      assert.equal(out.value.items.length, length, date);
      assert.ok(out.value.items.every((b) => b.status === "submitted"));
      // The repeated hour is its own interval: 25 distinct starts an hour apart.
      const starts = out.value.items.map((b) => Date.parse(b.interval_start));
      assert.equal(new Set(starts).size, length);
      // Another 25 MW in each discharge hour fits the power (45 of 50 MW), not the day's energy: refused whole.
      const more = hours.filter((h) => h.he >= 17 && h.he <= 22).map((h) => ({
        asset_id: assetId,
        market: "DA",
        interval_start: h.start,
        side: "offer",
        segments: [{ price: 90, quantity: 25 }],
      }));
      await assert.rejects(
        createBids(deps, caller, { bids: more, submit: true }),
        (e) =>
          e instanceof DomainError && e.kind === "conflict" && e.code === "over_committed" &&
          (e.options.details as { code: string }[]).every((d) => d.code === "energy_infeasible"),
      );
    }
  },
);

Deno.test("bid filters: an instant the database cannot store is a 400, not a 500", opts, async () => {
  const { call } = await trader("dayfilters");
  for (const from of ["0001-01-01T00:00:00.017+14:00", "0000-06-01T00:00:00Z"]) {
    for (const path of ["/api/bids", "/api/bids/export.csv"]) {
      const r = await statusOf(call, `${path}?from=${encodeURIComponent(from)}`);
      assert.equal(r, 400, `${path} from=${from}`);
    }
  }
  assert.equal(await statusOf(call, `/api/bids?from=${encodeURIComponent("0001-01-01T00:00:00Z")}`), 200);
});

async function statusOf(call: Awaited<ReturnType<typeof trader>>["call"], path: string): Promise<number> {
  try {
    return (await call("GET", path)).status;
  } catch {
    // export.csv answers text, which `call` cannot parse as JSON: only its status matters here.
    return 200;
  }
}
