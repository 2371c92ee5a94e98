/**
 * Bids: POST /api/bids through the whole app (auth, validation against the
 * asset and the zone's rules, one transaction writing the bid, its history and
 * its outbox event) on Postgres, 50 concurrent connections (wrk). Target ≥ 2,000
 * bids/s with p99 < 25 ms. Also clearing 1,000,000 segments: see bench/clearing.ts.
 */
import { fmt, haveCommand, spawnServer, throwawayDatabase, wrk } from "./lib.ts";

const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 10);

export async function benchBids(): Promise<Record<string, number>> {
  if (!haveCommand("wrk")) {
    console.log("bids: skipped, wrk is not installed");
    return {};
  }
  const pg = await throwawayDatabase("bids");
  if (!pg) {
    console.log("bids: skipped, no Postgres server (BENCH_PG_ADMIN_URL)");
    return {};
  }
  const dataDir = await Deno.makeTempDir({ prefix: "optibid-bench-bids-" });
  const app = await spawnServer({
    env: { DATA_DIR: dataDir, DATABASE_URL: pg.url, MARKET_SOURCE: "off", LOG_LEVEL: "warn" },
  });
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  try {
    const post = async (path: string, body: unknown, token?: string) => {
      const r = await fetch(app.url + path, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
      if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
      return await r.json();
    };
    const { access_token: token } = await post("/api/auth/register", {
      email: `bids-${Date.now()}@example.com`,
      password: "granite-Otter-meadow-47!",
      name: "Bench",
      organization_name: "Bench Bids",
    });
    const site = await post(
      "/api/sites",
      { name: "S", zone: "PJM", node: "WESTERN HUB", latitude: 40, longitude: -77 },
      token,
    );
    const asset = await post("/api/assets", { site_id: site.id, name: "PV", kind: "solar", capacity_mw: 100 }, token);
    const start = new Date(Date.now() + 3 * 86_400_000);
    start.setUTCHours(15, 0, 0, 0);
    const body = JSON.stringify({
      asset_id: asset.id,
      zone: "PJM",
      market: "DA",
      interval_start: start.toISOString(),
      side: "offer",
      segments: [{ price: 12.5, quantity: 10 }, { price: 25, quantity: 20 }, { price: 40, quantity: 30 }],
    });
    await Deno.writeTextFile(
      script,
      `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n` +
        `wrk.headers["Authorization"] = "Bearer ${token}"\n`,
    );
    const url = app.url + "/api/bids";
    await wrk(url, { seconds: 2, script });
    const r = await wrk(url, { seconds: SECONDS, script });
    const ok = r.errors === 0;
    console.log(`bids: POST /api/bids on Postgres, 50 connections, ${SECONDS} s`);
    console.log(
      `  ${fmt(r.requestsPerSec, 0)} bids/s  p50 ${fmt(r.p50Ms, 2)} ms  p99 ${fmt(r.p99Ms, 2)} ms  errors ${r.errors}` +
        `  (target ≥ 2,000/s: ${r.requestsPerSec >= 2000 ? "met" : "MISSED"}; p99 < 25 ms: ${
          r.p99Ms < 25 ? "met" : "MISSED"
        }${ok ? "" : "; errors!"})`,
    );
    return { bidsPerSec: r.requestsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, errors: r.errors };
  } finally {
    await app.stop();
    await pg.drop();
    await Deno.remove(script);
    await Deno.remove(dataDir, { recursive: true });
  }
}

if (import.meta.main) await benchBids();
