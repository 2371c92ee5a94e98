/**
 * Instants outside 0001–9999 are valid ISO-8601 for zod but not for Postgres (the driver writes them as
 * "0000-…" or "+010000-…"): every query that takes one answers 400 naming the field, never a 500 or an
 * error thrown half-way through a streamed CSV.
 */
import assert from "node:assert/strict";
import { testApp } from "../helpers/test_app.ts";
import { createOrg } from "../helpers/auth.ts";

const YEAR_0 = "0000-01-01T00:00:00Z";
const YEAR_10000 = "%2B010000-01-02T00:00:00Z";

Deno.test("instants before year 1 or after 9999 are a 400 on every query that takes one", async () => {
  const t = await testApp();
  const org = await createOrg(t, "dates");
  const auth = { authorization: `Bearer ${org.admin.tokens.access_token}` };
  const ok = "2025-01-01T00:00:00Z";
  for (
    const [path, field] of [
      [`/api/market-data/history?zone=PJM&market=DA&from=${YEAR_0}&to=${ok}`, "from"],
      [`/api/market-data/history?zone=PJM&market=DA&from=${ok}&to=${YEAR_10000}`, "to"],
      [`/api/market-data/export.csv?zone=PJM&market=DA&from=${YEAR_0}&to=${ok}`, "from"],
      [`/api/market-data/load?zone=PJM&from=${YEAR_0}&to=${ok}`, "from"],
      [`/api/forecasts?zone=PJM&from=${YEAR_0}&to=${ok}`, "from"],
      [`/api/forecasts?zone=PJM&from=${ok}&to=2025-01-02T00:00:00Z&asOf=${YEAR_0}`, "asOf"],
      [`/api/portfolio/pnl?from=${YEAR_0}&to=${ok}`, "from"],
      [`/api/admin/audit-logs?from=${YEAR_0}`, "from"],
      [`/api/bids?from=${YEAR_0}`, "from"],
    ] as const
  ) {
    const r = await t.fetch(path, { headers: auth });
    const body = await r.text();
    assert.equal(r.status, 400, `${path}: ${body}`);
    assert.match(body, new RegExp(`query\\.${field}`), path);
  }
});
