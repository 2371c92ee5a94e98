/**
 * A ClickHouse that stops answering (its connections open, nothing coming back) while the app reads analytics
 * from it: the read that meets it waits out SERVICE_TIMEOUT_MS and is answered from Postgres, and the health
 * registry takes ClickHouse as down at once, so the next reads go to Postgres without waiting (before, every
 * read waited the timeout until the registry's own check, up to 10 s later, found the outage). When it answers
 * again, a check sees it back. The ClickHouse here is a stand-in speaking just enough of its HTTP interface to
 * be started (ping, version): the shared server must not be stopped under the other test files.
 */
import assert from "node:assert/strict";
import { spawnApp } from "../helpers/spawn_app.ts";

function fakeClickhouse() {
  let silent = false;
  const held: (() => void)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.text();
    if (silent) {
      await new Promise<void>((resolve) => held.push(resolve));
      return new Response("gone", { status: 503 });
    }
    const url = new URL(req.url);
    if (url.pathname === "/ping") return new Response("Ok.\n");
    const query = url.searchParams.get("query") ?? "";
    if (/version\(\)/.test(query)) return new Response(`{"version":"18.16.1"}\n`);
    return new Response("");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    set silent(v: boolean) {
      silent = v;
      if (!v) { for (const release of held.splice(0)) release(); }
    },
    async close() {
      silent = false;
      for (const release of held.splice(0)) release();
      await server.shutdown();
    },
  };
}

Deno.test("ClickHouse gone silent: one analytics read waits the timeout, the next go to Postgres at once", async () => {
  const ch = fakeClickhouse();
  const app = await spawnApp({
    CLICKHOUSE_URL: ch.url,
    SERVICE_TIMEOUT_MS: "1500",
    MARKET_SOURCE: "off",
    FORECAST_JOB: "off",
  });
  try {
    await app.waitReady();
    const reg = await fetch(`${app.url}/api/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: `ch-silent-${Date.now()}@example.com`,
        password: "granite-Otter-meadow-47!",
        name: "A",
        organization_name: "Silent CH Org",
      }),
    });
    assert.equal(reg.status, 201);
    const { access_token: token } = await reg.json();
    const auth = { authorization: `Bearer ${token}` };
    const clickhouseStatus = async () => {
      const body = await (await fetch(`${app.url}/health`, { headers: auth })).json();
      return body.services.find((s: { name: string }) => s.name === "clickhouse");
    };
    const until = async (want: string, ms: number) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = await clickhouseStatus();
        if (s.status === want) return s;
        assert.ok(Date.now() < deadline, `clickhouse ${want} within ${ms} ms: ${JSON.stringify(s)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until("available", 15_000);

    ch.silent = true;
    const read = async (zone: string) => {
      const t0 = performance.now();
      const r = await fetch(`${app.url}/api/analytics/market?zones=${zone}&market=RT`, { headers: auth });
      const body = await r.json();
      assert.equal(r.status, 200, JSON.stringify(body));
      return { engine: body.engine, ms: performance.now() - t0 };
    };
    const first = await read("PJM");
    assert.equal(first.engine, "postgres");
    assert.ok(first.ms >= 1_000, `the first read met the silent server (${Math.round(first.ms)} ms)`);
    const down = await clickhouseStatus();
    assert.equal(down.status, "unavailable", "taken as down at once, not at the next scheduled check");
    for (const zone of ["CAISO", "ERCOT", "NYISO"]) {
      const next = await read(zone);
      assert.equal(next.engine, "postgres");
      assert.ok(next.ms < 1_000, `${zone}: answered from Postgres without waiting (${Math.round(next.ms)} ms)`);
    }

    ch.silent = false;
    await until("available", 15_000);
  } finally {
    await app.stop();
    await ch.close();
  }
});
