/** The bid horizon: declared in the zone rules the API publishes, enforced on every bid (issue 13: a DA bid for 2030). */
import assert from "node:assert/strict";
import { call, createOrg, expectError, expectStatus, opts } from "../helpers/auth.ts";
import { siteWithAsset } from "../helpers/bids.ts";
import { testApp } from "../helpers/test_app.ts";

Deno.test(
  "horizon: the zone rules say how far ahead; a DA bid for 2030 and an RT bid two days out are a 400",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "horizon");
    const token = org.admin.tokens.access_token;
    const zones = await call(t, "GET", "/api/market-data/zones", { token });
    expectStatus(zones, 200);
    const pjm = (zones.body.items ?? zones.body).find((z: { zone: string }) => z.zone === "PJM");
    assert.equal(pjm.daHorizonDays, 7);
    assert.equal(pjm.rtHorizonHours, 24);
    const { assetId } = await siteWithAsset(t, token, { name: "PV", kind: "solar", capacity_mw: 20 });
    const bid = (market: "DA" | "RT", start: Date) => ({
      asset_id: assetId,
      zone: "PJM",
      market,
      interval_start: start.toISOString(),
      side: "offer",
      segments: [{ price: 30, quantity: 5 }],
    });
    const far = await call(t, "POST", "/api/bids", { token, body: bid("DA", new Date("2030-07-01T14:00:00Z")) });
    expectError(far, 400, "validation_failed");
    assert.deepEqual(far.body.error.details.map((d: { path: string; code: string }) => [d.path, d.code]), [
      ["body.interval_start", "beyond_horizon"],
    ]);
    const rtStart = new Date(Date.now() + 48 * 3_600_000);
    rtStart.setUTCMinutes(0, 0, 0);
    const rt = await call(t, "POST", "/api/bids", { token, body: bid("RT", rtStart) });
    expectError(rt, 400, "validation_failed");
    assert.match(
      rt.body.error.message,
      /too far ahead: PJM RT bids are accepted for intervals starting within 24 hours/,
    );
    // Three days ahead is within the DA horizon.
    const soon = new Date(Date.now() + 3 * 86_400_000);
    soon.setUTCHours(15, 0, 0, 0);
    expectStatus(await call(t, "POST", "/api/bids", { token, body: bid("DA", soon) }), 201);
  },
);
