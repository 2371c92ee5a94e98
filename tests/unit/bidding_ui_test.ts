import assert from "node:assert/strict";
import { renderToString } from "preact-render-to-string";
import { h } from "preact";
import { AttemptKeys, send } from "../../components/bid_api.ts";
import {
  applyRowAction,
  type BuilderAsset,
  type BuilderForm,
  defaultInterval,
  formFromBid,
  formFromFields,
  formToInput,
  intervalStartOf,
  issuesByField,
  maxRows,
  parseNumber,
  priceIssues,
  serverIssues,
  typedSegments,
} from "../../components/bid_form.ts";
import { chartDomain, curveSteps, curveSummary, listQuery, ticks, tickStep, usd } from "../../components/bid_format.ts";
import { CurveChart } from "../../components/CurveChart.tsx";
import { checkBid, submissionDeadline } from "../../services/bids/schema.ts";
import { ISOS } from "../../services/market/zones.ts";

const battery: BuilderAsset = {
  id: "0b5a3c1e-8d2f-4f6a-9c1b-2e3d4f5a6b7c",
  name: "Battery",
  site_name: "Site",
  kind: "storage",
  zone: "PJM",
  capacity_mw: 50,
  charge_mw: 40,
  discharge_mw: 50,
};

const rows = (...pairs: [string, string][]) => pairs.map(([price, quantity], key) => ({ key, price, quantity }));

function form(patch: Partial<BuilderForm> = {}): BuilderForm {
  return {
    kind: "physical",
    assetId: battery.id,
    zone: "PJM",
    location: "",
    market: "DA",
    date: "2026-01-06",
    hour: 15,
    minute: 0,
    side: "offer",
    rows: rows(["20", "10"]),
    ...patch,
  };
}

Deno.test("curveSteps: flat runs at each price over cumulative MW, joined by risers; unfinished rows skipped", () => {
  assert.deepEqual(curveSteps([{ price: 20, quantity: 10 }, { price: 35, quantity: 5 }]), [
    { x: 0, y: 20 },
    { x: 10, y: 20 },
    { x: 10, y: 35 },
    { x: 15, y: 35 },
  ]);
  assert.deepEqual(
    curveSteps([{ price: -5, quantity: 2 }, { price: NaN, quantity: 3 }, { price: 1, quantity: 0 }, {
      price: 4,
      quantity: 1.5,
    }]),
    [{ x: 0, y: -5 }, { x: 2, y: -5 }, { x: 2, y: 4 }, { x: 3.5, y: 4 }],
  );
  assert.deepEqual(curveSteps([]), []);
});

Deno.test("chart domain holds the curve and the reference lines, on whole ticks of a nice step", () => {
  const d = chartDomain(
    curveSteps([{ price: 20, quantity: 20 }, { price: 45, quantity: 15 }, { price: 90, quantity: 10 }]),
    [
      77.5,
      null,
    ],
  );
  assert.deepEqual(d, { xMin: 0, xMax: 60, xStep: 20, yMin: 0, yMax: 100, yStep: 25 });
  assert.deepEqual(ticks(d.yMin, d.yMax, d.yStep), [0, 25, 50, 75, 100]);
  assert.deepEqual(ticks(d.xMin, d.xMax, d.xStep), [0, 20, 40, 60]);
  // Negative prices, a reference line above the curve.
  const neg = chartDomain(curveSteps([{ price: 60, quantity: 10 }, { price: -20, quantity: 20 }]), [82.16]);
  assert.ok(neg.yMin <= -20 && neg.yMax >= 82.16 && neg.yMin % neg.yStep === 0);
  assert.ok(ticks(neg.yMin, neg.yMax, neg.yStep).length <= 6, "a handful of ticks, not a crowd");
  // A single price still gets a span; small MW get fractional ticks.
  const flat = chartDomain(curveSteps([{ price: 30, quantity: 0.5 }]), []);
  assert.ok(flat.yMin < 30 && flat.yMax > 30);
  assert.deepEqual(ticks(flat.xMin, flat.xMax, flat.xStep), [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(tickStep(140, 4), 50);
  assert.equal(tickStep(100, 4), 25);
});

Deno.test("the form becomes the API's body; typed text is judged by the schema as typed", () => {
  assert.equal(parseNumber(" 12.5 "), 12.5);
  assert.equal(parseNumber(""), undefined);
  assert.equal(parseNumber("-"), "-");
  // The form is on PJM's market clock: hour 15 of 2026-01-06 is HE16, 15:00–16:00 EST = 20:00Z.
  assert.equal(intervalStartOf(form(), "PJM"), "2026-01-06T20:00:00.000Z");
  assert.equal(intervalStartOf(form({ market: "RT", minute: 35 }), "PJM"), "2026-01-06T20:35:00.000Z");
  assert.equal(intervalStartOf(form({ minute: 35 }), "PJM"), "2026-01-06T20:00:00.000Z", "DA ignores the minute");
  assert.equal(intervalStartOf(form(), "CAISO"), "2026-01-06T23:00:00.000Z");
  assert.equal(intervalStartOf(form({ date: "" }), "PJM"), "");
  // DST days: the spring day has 23 hours (after HE2 comes HE4), the autumn one 25 (HE2* third).
  assert.equal(intervalStartOf(form({ date: "2026-03-08", hour: 2 }), "PJM"), "2026-03-08T07:00:00.000Z");
  assert.equal(intervalStartOf(form({ date: "2026-03-08", hour: 23 }), "PJM"), "", "no 24th hour in spring");
  assert.equal(intervalStartOf(form({ date: "2026-11-01", hour: 2 }), "PJM"), "2026-11-01T06:00:00.000Z");
  assert.equal(intervalStartOf(form({ date: "2026-11-01", hour: 24 }), "PJM"), "2026-11-02T04:00:00.000Z");
  assert.equal(intervalStartOf(form({ date: "2026-11-01", hour: 2 }), "MISO"), "2026-11-01T07:00:00.000Z");
  const body = formToInput(form({ rows: rows(["20", "10"], ["", "5"]) }), battery);
  assert.deepEqual(body, {
    asset_id: battery.id,
    zone: "PJM",
    market: "DA",
    interval_start: "2026-01-06T20:00:00.000Z",
    side: "offer",
    segments: [{ price: 20, quantity: 10 }, { price: undefined, quantity: 5 }],
  });
  assert.deepEqual(typedSegments(rows(["20", "10"], ["", "5"], ["x", "1"])), [{ price: 20, quantity: 10 }]);
});

Deno.test("the builder's check: decreasing offer prices are named on the later price; a fixed curve passes", () => {
  const now = new Date("2026-01-04T12:00:00Z");
  const bad = checkBid(formToInput(form({ rows: rows(["20", "10"], ["15", "5"]) }), battery), { asset: battery, now });
  assert.equal(bad.ok, false);
  const byField = issuesByField(bad.ok ? [] : bad.issues);
  assert.deepEqual(Object.keys(byField), ["segments.1.price"]);
  assert.match(byField["segments.1.price"][0], /offer prices must not decrease/);

  const missing = checkBid(formToInput(form({ rows: rows(["20", ""]) }), battery), { asset: battery, now });
  assert.ok(
    !missing.ok && /segments\.0\.quantity is missing/.test(issuesByField(missing.issues)["segments.0.quantity"][0]),
  );

  const good = checkBid(formToInput(form({ rows: rows(["20", "10"], ["25", "5"]) }), battery), { asset: battery, now });
  assert.ok(good.ok, JSON.stringify(good));
});

Deno.test("issuesByField: the API's body. prefix goes, row-level issues go with the row's price, no repeats", () => {
  const out = issuesByField([
    { path: "body.segments.1.price", message: "a" },
    { path: "body.segments.1.price", message: "a" },
    { path: "segments.2", message: "b" },
    { path: "body", message: "c" },
    { path: "interval_start", message: "d" },
  ]);
  assert.deepEqual(out, {
    "segments.1.price": ["a"],
    "segments.2.price": ["b"],
    _form: ["c"],
    interval_start: ["d"],
  });
});

Deno.test("serverIssues: a 400's details by path, other errors as one message for the form", () => {
  assert.deepEqual(
    serverIssues({
      error: {
        code: "validation_failed",
        message: "x",
        details: [{ path: "body.segments.0.price", message: "too high", code: "price_above_cap" }],
      },
    }, 400),
    [{ path: "body.segments.0.price", message: "too high", code: "price_above_cap" }],
  );
  assert.deepEqual(serverIssues({ error: { code: "not_found", message: "Asset not found" } }, 404), [
    { path: "_form", message: "Asset not found", code: "not_found" },
  ]);
  assert.equal(serverIssues(null, 502)[0].message, "The server answered HTTP 502");
});

Deno.test("defaultInterval: an interval that is still open, for every zone and market, across DST", () => {
  for (const now of ["2026-01-05T08:00:00Z", "2026-03-08T13:59:00Z", "2026-11-01T23:30:00Z", "2026-07-01T16:45:00Z"]) {
    for (const zone of ISOS) {
      for (const market of ["DA", "RT"] as const) {
        const d = defaultInterval(zone, market, new Date(now));
        const start = intervalStartOf({ market, ...d }, zone);
        assert.ok(start, `${zone} ${market} ${now}`);
        assert.ok(
          submissionDeadline(zone, market, start).getTime() > Date.parse(now) + 10 * 60_000,
          `${zone} ${market} at ${now}: ${start} is still open`,
        );
        assert.equal(d.minute, 0);
        if (market === "RT") assert.ok(Date.parse(start) - Date.parse(now) < 4 * 3_600_000, "RT: within hours");
        else assert.ok(Date.parse(start) - Date.parse(now) < 3 * 86_400_000, "DA: within days");
      }
    }
  }
});

Deno.test("maxRows follows the zone's segment limit", () => {
  assert.equal(maxRows("PJM"), 10);
  assert.equal(maxRows(undefined), 10);
});

Deno.test("formatting: money with a real minus, curve summary, list query", () => {
  assert.equal(usd(-3), "−$3.00");
  assert.equal(usd(1234.5), "$1,234.50");
  assert.equal(usd(null), "—");
  assert.equal(
    curveSummary([{ price: 20, quantity: 10 }, { price: 35, quantity: 5 }]),
    "2 seg · 15 MW · $20.00–$35.00",
  );
  assert.equal(
    listQuery({ status: "submitted", zone: "PJM" }, { cursor: "abc", limit: 20 }),
    "status=submitted&zone=PJM&limit=20&cursor=abc",
  );
  assert.equal(listQuery({}), "");
});

Deno.test("CurveChart: a step path and a line per reference price; an empty state without segments", () => {
  const html = renderToString(h(CurveChart, {
    segments: [{ price: 20, quantity: 10 }, { price: 35, quantity: 5 }],
    side: "offer",
    lines: [{ kind: "latest", label: "Latest RT", price: 30 }],
    testId: "c",
  }));
  assert.match(html, /data-points="4"/);
  assert.match(html, /data-line="latest"/);
  assert.match(html, /Latest RT \$30\.00/);
  assert.match(html, /aria-label="Offer curve: 10 MW at \$20\.00, 5 MW at \$35\.00\. Latest RT \$30\.00"/);
  const empty = renderToString(h(CurveChart, { segments: [], side: "bid", emptyText: "nothing" }));
  assert.match(empty, /nothing/);
  assert.doesNotMatch(empty, /<svg/);
});

Deno.test("send: one Idempotency-Key per attempt, the same on every retry, a new one after an answer", async () => {
  const seen: { key: string | null; body: unknown }[] = [];
  const answers = [503, 0, 201, 400];
  const fakeFetch = (_url: string, init: RequestInit) => {
    const headers = init.headers as Record<string, string>;
    seen.push({ key: headers["idempotency-key"] ?? null, body: init.body });
    const status = answers.shift()!;
    if (status === 0) return Promise.reject(new TypeError("Failed to fetch"));
    return Promise.resolve(
      new Response(JSON.stringify(status === 201 ? { id: "b1" } : { error: { message: "no" } }), { status }),
    );
  };
  let n = 0;
  const keys = new AttemptKeys(() => `key-${++n}`);
  const sleep = () => Promise.resolve();
  const first = await send("/api/bids", { method: "POST", body: { a: 1 }, keys, fetch: fakeFetch, sleep });
  assert.equal(first.status, 201);
  assert.deepEqual(
    seen.map((s) => s.key),
    ["key-1", "key-1", "key-1"],
    "503 and a network failure retried with the key",
  );
  assert.equal(keys.pendingKey, null, "the attempt is over");
  const second = await send("/api/bids", { method: "POST", body: { a: 1 }, keys, fetch: fakeFetch, sleep });
  assert.equal(second.status, 400);
  assert.equal(seen[3].key, "key-2", "a new attempt, a new key");

  // No answer at all: the key is kept for the user's retry of the same request, not for another one.
  const down = () => Promise.reject(new TypeError("offline"));
  const failed = await send("/api/bids", { method: "POST", body: { a: 2 }, keys, fetch: down, sleep, retries: 1 });
  assert.equal(failed.status, 0);
  assert.equal(failed.networkError, "offline");
  assert.equal(keys.pendingKey, "key-3");
  assert.equal(keys.keyFor(`POST /api/bids ${JSON.stringify({ a: 2 })}`), "key-3");
  assert.equal(keys.keyFor(`POST /api/bids ${JSON.stringify({ a: 3 })}`), "key-4");
});

Deno.test("formFromFields: the builder's posted fields back into the form; out-of-range values fall back", () => {
  const f = formFromFields({
    asset_id: battery.id,
    market: "RT",
    date: "2026-01-06",
    hour: "15",
    minute: "37",
    side: "bid",
    "segments.0.price": "20",
    "segments.0.quantity": "10",
    "segments.2.price": "15",
  });
  assert.deepEqual(f, {
    kind: "physical",
    assetId: battery.id,
    zone: "PJM",
    location: "",
    market: "RT",
    date: "2026-01-06",
    hour: 15,
    minute: 35,
    side: "bid",
    rows: [{ key: 0, price: "20", quantity: "10" }, { key: 2, price: "15", quantity: "" }],
  });
  assert.equal(formFromFields({ hour: "24" }).hour, 24, "the 25th hour of the autumn day");
  const odd = formFromFields({ market: "XX", hour: "99", minute: "-5", side: "sell" });
  assert.deepEqual([odd.market, odd.hour, odd.minute, odd.side, odd.rows.length], ["DA", 0, 0, "offer", 1]);
  // A virtual bid: its zone and location, INC/DEC sides, DA only (an RT post falls back to DA).
  const v = formFromFields({
    kind: "virtual",
    zone: "MISO",
    location: "INDIANA.HUB",
    market: "RT",
    side: "dec",
    date: "2026-01-06",
    hour: "15",
    "segments.0.price": "30",
    "segments.0.quantity": "2",
  });
  assert.deepEqual([v.kind, v.zone, v.location, v.market, v.side], ["virtual", "MISO", "INDIANA.HUB", "DA", "dec"]);
  assert.deepEqual(formToInput(v, undefined), {
    kind: "virtual",
    zone: "MISO",
    location: "INDIANA.HUB",
    market: "DA",
    // HE16 of 2026-01-06 on MISO's EST clock: 15:00 EST = 20:00Z.
    interval_start: "2026-01-06T20:00:00.000Z",
    side: "dec",
    segments: [{ price: 30, quantity: 2 }],
  });
  assert.equal(formFromFields({ kind: "virtual", side: "offer" }).side, "inc", "a virtual bid is INC or DEC");
});

Deno.test("formFromBid: a saved draft back into the form, and the form into the same bid again", () => {
  const saved = {
    asset_id: battery.id,
    zone: "PJM" as const,
    market: "RT" as const,
    interval_start: "2026-01-06T15:35:00.000Z",
    side: "bid" as const,
    segments: [{ price: 42.5, quantity: 10 }, { price: 30, quantity: 2.25 }],
  };
  const f = formFromBid(saved);
  assert.deepEqual({ ...f, rows: f.rows.map((r) => [r.price, r.quantity]) }, {
    kind: "physical",
    assetId: battery.id,
    zone: "PJM",
    location: "",
    market: "RT",
    // 15:35Z is 10:35 EST on PJM's clock: HE11, the day's hour 10.
    date: "2026-01-06",
    hour: 10,
    minute: 35,
    side: "bid",
    rows: [["42.5", "10"], ["30", "2.25"]],
  });
  // Unchanged, it is the body that was saved: the builder knows it need not save again before submitting.
  assert.deepEqual(formToInput(f, battery), saved);
});

Deno.test("applyRowAction: add starts at the last price, remove keeps one row, other actions are not row actions", () => {
  const f = form({ rows: rows(["20", "10"], ["30", "5"]) });
  assert.deepEqual(applyRowAction(f, "add_row", "PJM")!.rows.map((r) => [r.price, r.quantity]), [
    ["20", "10"],
    ["30", "5"],
    ["30", ""],
  ]);
  assert.deepEqual(applyRowAction(f, "remove:0", "PJM")!.rows.map((r) => r.price), ["30"]);
  const one = form();
  assert.equal(applyRowAction(one, "remove:0", "PJM")!.rows.length, 1);
  assert.equal(applyRowAction(f, "remove:9", "PJM")!.rows.length, 2);
  const full = form({ rows: Array.from({ length: 10 }, (_, key) => ({ key, price: "1", quantity: "1" })) });
  assert.equal(applyRowAction(full, "add_row", "PJM")!.rows.length, 10);
  assert.equal(applyRowAction(f, "save", "PJM"), null);
});

Deno.test("the builder in ¢/kWh: typed prices go to the API in $/MWh exactly, a saved bid comes back in ¢/kWh", () => {
  const saved = {
    asset_id: battery.id,
    zone: "PJM" as const,
    market: "RT" as const,
    interval_start: "2026-01-06T15:35:00.000Z",
    side: "bid" as const,
    segments: [{ price: 41.35, quantity: 10 }, { price: -0.5, quantity: 2.25 }],
  };
  const f = formFromBid(saved, "¢/kWh");
  assert.deepEqual(f.rows.map((r) => r.price), ["4.135", "-0.05"]);
  assert.deepEqual(formToInput(f, battery, "¢/kWh"), saved);
  assert.deepEqual(typedSegments(f.rows, "¢/kWh"), saved.segments);
  assert.deepEqual(priceIssues(f.rows, "¢/kWh"), []);

  // Finer than the API holds: the text goes as typed (the schema refuses it) and the issue says why plainly.
  const rows = [{ key: 0, price: "4.1255", quantity: "1" }, { key: 1, price: "", quantity: "1" }];
  assert.equal((formToInput({ ...f, rows }, battery, "¢/kWh").segments as { price: unknown }[])[0].price, "4.1255");
  assert.deepEqual(priceIssues(rows, "¢/kWh"), [
    {
      path: "segments.0.price",
      message: "Segment 1 price can have at most 3 decimals in ¢/kWh",
      code: "invalid_price",
    },
  ]);
  assert.deepEqual(typedSegments(rows, "¢/kWh"), []);
  // In $/MWh nothing changes: the text is the API's number and the schema judges it.
  assert.deepEqual(priceIssues([{ key: 0, price: "41.255", quantity: "1" }], "$/MWh"), []);
  assert.equal((formToInput({ ...f, rows }, battery).segments as { price: unknown }[])[0].price, 4.1255);
});
