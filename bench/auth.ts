/**
 * Auth: login latency (p50/p99; dominated by the argon2id password check, so
 * the bare verify is measured beside it) and GET /api/auth/me requests/s with
 * a valid access token at 50 connections, against the same server's
 * /health/live (no credentials, no database) in the same run.
 *
 * The bench stands in for a reverse proxy (TRUSTED_PROXIES=127.0.0.1) and gives
 * each login its own X-Forwarded-For, so the per-IP limits do not stop it; it
 * spreads logins over several accounts to stay under the per-account limit.
 *
 * The embedded default (PGlite, no DATABASE_URL) is what it measures, with quotas off: at the target of
 * 5,000 req/s one organization would use up its 6,000 API requests a minute in a second and get 429s,
 * which is not what is measured here (the metering's own cost is measured by the ssr bench). Target:
 * ≥ 5,000 req/s at 50 connections (issue 20: no database round trip per request when nothing changed).
 */
import { hashPassword, verifyPassword } from "../services/auth/password.ts";
import { fmt, haveCommand, loadAverage, report, spawnServer, wrk } from "./lib.ts";

const ACCOUNTS = 6;
const LOGINS_PER_ACCOUNT = 8; // under the per-account limit of 10 a minute
const PASSWORD = "granite-Otter-meadow-47!";

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export async function benchAuth(): Promise<Record<string, number>> {
  const dataDir = await Deno.makeTempDir({ prefix: "optibid-bench-auth-" });
  const app = await spawnServer({
    env: { DATA_DIR: dataDir, TRUSTED_PROXIES: "127.0.0.1", LOG_LEVEL: "warn", MARKET_SOURCE: "off", QUOTAS: "off" },
  });
  let ip = 0;
  const post = (path: string, body: unknown) =>
    fetch(app.url + path, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": `198.51.100.${++ip % 250}` },
      body: JSON.stringify(body),
    });
  try {
    const emails: string[] = [];
    let token = "";
    for (let i = 0; i < ACCOUNTS; i++) {
      const email = `bench-${i}-${Date.now()}@example.com`;
      const r = await post("/api/auth/register", {
        email,
        password: PASSWORD,
        name: `Bench ${i}`,
        organization_name: `Bench Org ${i}`,
      });
      if (r.status !== 201) throw new Error(`register: ${r.status} ${await r.text()}`);
      token = (await r.json()).access_token;
      emails.push(email);
    }
    const times: number[] = [];
    for (let round = 0; round < LOGINS_PER_ACCOUNT; round++) {
      for (const email of emails) {
        const t0 = performance.now();
        const r = await post("/api/auth/login", { email, password: PASSWORD });
        await r.body?.cancel();
        times.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`login: ${r.status}`);
      }
    }
    const stored = await hashPassword(PASSWORD);
    const verifies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await verifyPassword(PASSWORD, stored);
      verifies.push(performance.now() - t0);
    }
    const result: Record<string, number> = {
      loginP50Ms: percentile(times, 50),
      loginP99Ms: percentile(times, 99),
      verifyP50Ms: percentile(verifies, 50),
    };
    console.log(`auth: login over HTTP (${times.length} logins, argon2id m=19 MiB t=2 p=1)`);
    console.log(`  login          p50 ${fmt(result.loginP50Ms)} ms  p99 ${fmt(result.loginP99Ms)} ms`);
    console.log(`  argon2id verify alone (this process) p50 ${fmt(result.verifyP50Ms)} ms`);
    report({ bench: "auth", figure: "login over HTTP p50", value: result.loginP50Ms, unit: "ms" });
    if (!haveCommand("wrk")) {
      console.log("  /api/auth/me: skipped, wrk is not installed");
      return result;
    }
    const auth = { Authorization: `Bearer ${token}` };
    await wrk(app.url + "/api/auth/me", { seconds: 2, headers: auth });
    const me = await wrk(app.url + "/api/auth/me", { seconds: 10, headers: auth });
    await wrk(app.url + "/health/live", { seconds: 2 });
    const live = await wrk(app.url + "/health/live", { seconds: 10 });
    result.meRps = me.requestsPerSec;
    result.liveRps = live.requestsPerSec;
    report({
      bench: "auth",
      figure: "GET /api/auth/me, PGlite, 50 connections",
      value: me.requestsPerSec,
      unit: "req/s",
      errors: me.errors,
      target: { op: ">=", value: 5000, source: "issue 20" },
      baseline: { label: "/health/live, same server", value: live.requestsPerSec, unit: "req/s" },
    });
    console.log(
      `  GET /api/auth/me   ${fmt(me.requestsPerSec, 0)} req/s  p50 ${fmt(me.p50Ms, 2)} ms  p99 ${
        fmt(me.p99Ms, 2)
      } ms  errors ${me.errors}  (50 connections, valid token: cached claims, principal and profile, no query)` +
        ` (target ≥ 5,000: ${me.requestsPerSec >= 5_000 && me.errors === 0 ? "met" : "MISSED"})`,
    );
    console.log(
      `  GET /health/live   ${fmt(live.requestsPerSec, 0)} req/s  p50 ${fmt(live.p50Ms, 2)} ms  p99 ${
        fmt(live.p99Ms, 2)
      } ms  (same server, no auth)  → ratio ${
        fmt(me.requestsPerSec / live.requestsPerSec, 2)
      }; load average ${loadAverage()}`,
    );
    return result;
  } finally {
    await app.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}

if (import.meta.main) await benchAuth();
