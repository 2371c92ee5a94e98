/**
 * Nothing accepted is lost: a stream of bid submissions while Postgres is
 * stopped and started again. During the outage the API answers 503 with
 * Retry-After within 5 s (never a 500, never a hang); afterwards it recovers by
 * itself; every bid that got a 2xx is in the database.
 */
import assert from "node:assert/strict";
import { openPostgres } from "../../services/adapters/postgres.ts";
import { privatePostgres, privatePostgresAvailable } from "../helpers/private_postgres.ts";
import { spawnApp } from "../helpers/spawn_app.ts";
import { inCI } from "../helpers/services.ts";

const PASSWORD = "granite-Otter-meadow-47!";

Deno.test({
  name: "Postgres stopped and restarted during submissions: 503s, no 500s, every 2xx bid kept",
  ignore: !privatePostgresAvailable && !inCI,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const pg = await privatePostgres();
    const app = await spawnApp({ DATABASE_URL: pg.url, MARKET_SOURCE: "off" });
    try {
      await app.waitReady();
      const post = (path: string, body: unknown, token?: string) =>
        fetch(app.url + path, {
          method: "POST",
          headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
      const reg = await post("/api/auth/register", {
        email: `outage-${Date.now()}@example.com`,
        password: PASSWORD,
        name: "O",
        organization_name: "Outage Org",
      });
      assert.equal(reg.status, 201);
      const { access_token: token } = await reg.json();
      const site = await (await post("/api/sites", {
        name: "S",
        zone: "NYISO",
        node: "N.Y.C.",
        latitude: 40.7,
        longitude: -74,
      }, token)).json();
      const asset =
        await (await post("/api/assets", { site_id: site.id, name: "PV", kind: "solar", capacity_mw: 5 }, token))
          .json();

      const accepted: string[] = [];
      const statuses: number[] = [];
      let slowest = 0;
      let i = 0;
      const submit = async () => {
        const start = new Date(Date.now() + 3 * 86_400_000);
        start.setUTCHours(0, 0, 0, 0);
        const t0 = performance.now();
        const r = await post("/api/bids", {
          asset_id: asset.id,
          zone: "NYISO",
          market: "DA",
          interval_start: new Date(start.getTime() + (i++ % 24) * 3_600_000).toISOString(),
          side: "offer",
          segments: [{ price: 10 + (i % 50), quantity: 1 }],
        }, token);
        slowest = Math.max(slowest, performance.now() - t0);
        statuses.push(r.status);
        const body = await r.json();
        if (r.status === 201) accepted.push(body.id);
        else if (r.status === 503) assert.ok(r.headers.get("retry-after"), "503 carries Retry-After");
        else assert.fail(`unexpected ${r.status}: ${JSON.stringify(body)}`);
      };
      for (let k = 0; k < 20; k++) await submit();
      await pg.stop();
      for (let k = 0; k < 5; k++) await submit();
      assert.ok(statuses.slice(20).every((s) => s === 503), `503 during the outage: ${statuses.slice(20)}`);
      await pg.start();
      const deadline = Date.now() + 30_000;
      let recovered = false;
      while (Date.now() < deadline) {
        await submit();
        if (statuses.at(-1) === 201) {
          recovered = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(recovered, "recovers by itself once Postgres is back");
      for (let k = 0; k < 10; k++) await submit();
      assert.ok(!statuses.includes(500), "never a 500");
      assert.ok(slowest < 5_500, `every answer within 5 s (slowest ${Math.round(slowest)} ms)`);

      const db = await openPostgres(pg.url);
      try {
        const rows = await db.query<{ id: string }>(`SELECT id FROM bids WHERE id = ANY($1::uuid[])`, [accepted]);
        assert.equal(rows.length, accepted.length, "every 2xx bid is in Postgres");
      } finally {
        await db.close();
      }
    } finally {
      await app.stop();
      await pg.destroy();
    }
  },
});
