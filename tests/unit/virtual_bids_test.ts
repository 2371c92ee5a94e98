/**
 * Virtual bids, pure: the zone rules (data), the checks of a virtual bid, its notional, its clearing and
 * liquidation by hand; and the cumulative INC and DEC P&L of every PJM hub over May–July 2025 from the real
 * DA and RT prices, recomputed independently from the raw CSV.
 */
import assert from "node:assert/strict";
import { clearBid } from "../../services/bids/clearing.ts";
import { checkVirtualBid, clearingSide } from "../../services/bids/schema.ts";
import { notional, settleVirtual } from "../../services/bids/virtual.ts";
import { findLocation, referenceLocation, VIRTUAL_RULES } from "../../services/bids/virtual_rules.ts";
import { readReplayFile } from "../../services/market/replay.ts";
import { ISOS } from "../../services/market/zones.ts";
import { serviceTest, testServices } from "../helpers/services.ts";

const now = new Date("2025-07-01T12:00:00Z");
const bid = (o: Record<string, unknown> = {}) => ({
  kind: "virtual",
  zone: "PJM",
  location: "WESTERN HUB",
  market: "DA",
  interval_start: "2025-07-03T16:00:00Z",
  side: "inc",
  segments: [{ price: 30, quantity: 1 }],
  ...o,
});
const codes = (r: ReturnType<typeof checkVirtualBid>) => r.ok ? [] : r.issues.map((i) => i.code);

Deno.test("virtual rules: every zone's entry has locations, one reference, a source and sane limits", () => {
  for (const zone of ISOS) {
    const r = VIRTUAL_RULES[zone];
    assert.ok(r, `${zone} has virtual rules`);
    assert.ok(r.locations.length > 0 && r.source.length > 10);
    assert.equal(r.locations.filter((l) => l.reference).length, 1, `${zone}: one reference location`);
    assert.ok(r.priceFloor < 0 && r.priceCap > 0 && r.minQuantityMw > 0);
    assert.equal(new Set(r.locations.map((l) => l.name)).size, r.locations.length);
  }
  assert.equal(referenceLocation(VIRTUAL_RULES.PJM!), "WESTERN HUB");
  assert.equal(findLocation(VIRTUAL_RULES.PJM!, " western hub ")?.name, "WESTERN HUB");
});

Deno.test("checkVirtualBid: zone, location, minimum, price range, curve order, timing", () => {
  const ok = checkVirtualBid(bid({ location: " eastern hub" }), now);
  assert.ok(ok.ok);
  assert.equal(ok.bid.location, "EASTERN HUB");
  assert.equal(ok.bid.interval_end, "2025-07-03T17:00:00.000Z");
  assert.equal(ok.bid.asset_id, null);
  // A zone without rules refuses with a clear error.
  const { PJM: _pjm, ...withoutPjm } = VIRTUAL_RULES;
  const off = checkVirtualBid(bid(), now, withoutPjm);
  assert.ok(!off.ok);
  assert.equal(off.issues[0].code, "virtual_not_offered");
  assert.match(off.issues[0].message, /PJM does not offer virtual bids/);
  // PJM: hubs only; MISO: any node; NYISO: load zones only.
  assert.deepEqual(codes(checkVirtualBid(bid({ location: "BRANDONSH 13 KV" }), now)), ["location_not_eligible"]);
  const node = checkVirtualBid(bid({ zone: "MISO", location: "ALTW.WELLS1" }), now);
  assert.ok(node.ok);
  assert.equal(node.bid.location, "ALTW.WELLS1");
  assert.deepEqual(codes(checkVirtualBid(bid({ zone: "NYISO", location: "SOME GEN" }), now)), [
    "location_not_eligible",
  ]);
  assert.ok(checkVirtualBid(bid({ zone: "NYISO", location: "N.Y.C." }), now).ok);
  assert.deepEqual(codes(checkVirtualBid(bid({ segments: [{ price: 1, quantity: 0.05 }] }), now)), [
    "quantity_below_minimum",
  ]);
  assert.deepEqual(
    codes(
      checkVirtualBid(
        bid({ zone: "ISONE", location: ".H.INTERNAL_HUB", segments: [{ price: -151, quantity: 1 }] }),
        now,
      ),
    ),
    [
      "price_below_floor",
    ],
  );
  // An INC sells: prices must not decrease; a DEC buys: must not increase.
  const up = [{ price: 10, quantity: 1 }, { price: 20, quantity: 1 }];
  assert.ok(checkVirtualBid(bid({ segments: up }), now).ok);
  assert.deepEqual(codes(checkVirtualBid(bid({ side: "dec", segments: up }), now)), ["price_order"]);
  // The gate: PJM's closes at 10:30 EPT the day before.
  assert.deepEqual(codes(checkVirtualBid(bid({ interval_start: "2025-07-01T20:00:00Z" }), now)), ["gate_closed"]);
  assert.deepEqual(codes(checkVirtualBid(bid({ market: "RT" }), now)), ["invalid_value"]);
  assert.deepEqual(codes(checkVirtualBid(bid({ asset_id: crypto.randomUUID() }), now)), ["unrecognized_keys"]);
});

Deno.test("notional and virtual settlement by hand", () => {
  assert.equal(notional([{ price: 40, quantity: 5 }, { price: -20, quantity: 2 }]), 240);
  assert.equal(notional([{ price: 40, quantity: 5 }], 0.5), 100);
  assert.equal(clearingSide("inc"), "offer");
  assert.equal(clearingSide("dec"), "bid");
  // INC 10 MW at DA $50, RT $35: earns 10 × 15 = 150, minus 10 × $0.10.
  assert.deepEqual(settleVirtual({ side: "inc", awardedMw: 10, daLmp: 50 }, [{ lmp: 35, hours: 1 }], 0.1), {
    da_revenue: 500,
    rt_revenue: -350,
    fee: 1,
    total: 149,
  });
  // DEC 10 MW: the mirror image; RT in 12 five-minute prices averages.
  const rt = Array.from({ length: 12 }, (_, i) => ({ lmp: i < 6 ? 30 : 40, hours: 1 / 12 }));
  const d = settleVirtual({ side: "dec", awardedMw: 10, daLmp: 50 }, rt, 0);
  assert.equal(Math.round(d.total * 1e9) / 1e9, 10 * (35 - 50));
  // Negative prices turn both around.
  assert.equal(
    settleVirtual({ side: "inc", awardedMw: 1, daLmp: -5, hours: 1 }, [{ lmp: 20, hours: 1 }], 0).total,
    -25,
  );
});

// ---------------------------------------------------------------------------------------------------
// Real PJM hub prices, May–July 2025

const file = (market: "da" | "rt") => `${testServices.sharedData}/pjm_${market}_hrl_lmps_2025-05_2025-07.csv`;
/** Prices at the precision OptiBid stores them (numeric(12,4)). */
const toRecord = (lmp: number) => Math.round(lmp * 1e4) / 1e4;

/** The independent reading: hub → hour (UTC text) → total LMP, by a plain line split. */
async function raw(market: "da" | "rt"): Promise<Map<string, Map<string, number>>> {
  const [header, ...lines] = (await Deno.readTextFile(file(market))).trim().split(/\r?\n/);
  const cols = header.split(",");
  const [t, node, lmp, current] = ["datetime_beginning_utc", "pnode_name", `total_lmp_${market}`, "row_is_current"]
    .map((c) => cols.indexOf(c));
  const out = new Map<string, Map<string, number>>();
  for (const line of lines) {
    const f = line.split(",");
    if (f[current] !== "True") continue;
    if (!out.has(f[node])) out.set(f[node], new Map());
    out.get(f[node])!.set(f[t], toRecord(Number(f[lmp])));
  }
  return out;
}

serviceTest("every PJM hub, May–July 2025: cumulative 1-MW INC and DEC P&L match Σ(DA − RT)", [
  "shared-data",
], async () => {
  const [daRaw, rtRaw] = [await raw("da"), await raw("rt")];
  const hubs = VIRTUAL_RULES.PJM!.locations.map((l) => l.name);
  assert.deepEqual([...daRaw.keys()].sort(), [...hubs].sort(), "the rules list the hubs of the data");
  for (const hub of hubs) {
    // The app's reading of the same files (the replay parser), hour by hour.
    const rtByStart = new Map<number, number>();
    for await (const batch of readReplayFile(file("rt"), { location: hub })) {
      for (const tk of batch) rtByStart.set(Date.parse(tk.interval_start), tk.lmp);
    }
    let incPnl = 0, decPnl = 0, hours = 0;
    for await (const batch of readReplayFile(file("da"), { location: hub })) {
      for (const tk of batch) {
        const rt = rtByStart.get(Date.parse(tk.interval_start));
        assert.ok(rt !== undefined, `${hub} ${tk.interval_start}: RT price`);
        // Price-taking virtuals: an INC offered at the floor and a DEC bid at the cap always clear.
        const inc = clearBid({ side: clearingSide("inc"), segments: [{ price: -1000, quantity: 1 }] }, tk.lmp);
        const dec = clearBid({ side: clearingSide("dec"), segments: [{ price: 1000, quantity: 1 }] }, tk.lmp);
        assert.equal(inc.awarded_mw, 1);
        assert.equal(dec.awarded_mw, 1);
        incPnl += settleVirtual({ side: "inc", awardedMw: 1, daLmp: tk.lmp }, [{ lmp: rt, hours: 1 }], 0).total;
        decPnl += settleVirtual({ side: "dec", awardedMw: 1, daLmp: tk.lmp }, [{ lmp: rt, hours: 1 }], 0).total;
        hours++;
      }
    }
    let expected = 0;
    const rtHub = rtRaw.get(hub)!;
    for (const [t, da] of daRaw.get(hub)!) expected += da - rtHub.get(t)!;
    assert.equal(hours, daRaw.get(hub)!.size, `${hub}: every hour`);
    assert.ok(Math.abs(incPnl - expected) < 1e-6, `${hub}: INC ${incPnl} vs ${expected}`);
    assert.ok(Math.abs(decPnl + expected) < 1e-6, `${hub}: DEC ${decPnl} vs ${-expected}`);
    // The fee comes off per MWh, whichever side.
    const fee = settleVirtual({ side: "inc", awardedMw: 1, daLmp: 1 }, [{ lmp: 1, hours: 1 }], 0.05).total;
    assert.equal(fee, -0.05);
  }
});
