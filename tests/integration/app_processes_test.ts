/**
 * APP_PROCESSES: several app processes share one port under a supervisor. Both serve, a process that dies is
 * restarted while the other keeps serving, the price feed runs in one only, and SIGTERM stops them all cleanly.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../services/config/env.ts";
import { processEnv } from "../../server/cluster.ts";
import { freePort } from "../helpers/ports.ts";
import { freshPostgresUrl, freshRedisPrefix, serviceTest, testServices } from "../helpers/services.ts";
import { runAppToExit, spawnApp } from "../helpers/spawn_app.ts";
import { EXIT_CANNOT_START } from "../../server/start.ts";
import { WsProbe } from "../helpers/ws.ts";

Deno.test("app processes: more than one needs a shared database, the Redis bus and a fixed port", () => {
  const base = { APP_PROCESSES: "2", PORT: "8000" };
  assert.throws(() => loadConfig(base), /APP_PROCESSES.*DATABASE_URL/s);
  const shared = { DATABASE_URL: "postgres://x@127.0.0.1/db", REDIS_URL: "redis://127.0.0.1:6379" };
  assert.throws(() => loadConfig({ ...base, DATABASE_URL: shared.DATABASE_URL }), /APP_PROCESSES.*REDIS_URL/s);
  assert.throws(() => loadConfig({ ...base, ...shared, PORT: "0" }), /APP_PROCESSES.*fixed PORT/s);
  const ok = loadConfig({ ...base, ...shared });
  assert.equal(ok.appProcesses, 2);
  assert.equal(ok.reusePort, false);
  // Each process is one instance sharing the port; only the first runs the price feed.
  const parent = { PORT: "8000", APP_PROCESSES: "2", MARKET_SOURCE: "simulator" };
  assert.deepEqual(processEnv(parent, 0), { ...parent, APP_PROCESSES: "1", REUSE_PORT: "true", APP_INSTANCE: "0" });
  assert.equal(processEnv(parent, 1).MARKET_SOURCE, "off");
  assert.equal(loadConfig(processEnv({ ...parent, ...shared }, 1)).reusePort, true);
});

serviceTest(
  "app processes: two share the port and the realtime bus, a killed one is restarted, SIGTERM stops both",
  ["postgres", "redis"],
  async () => {
    const port = freePort();
    const app = await spawnApp({
      APP_PROCESSES: "2",
      PORT: String(port),
      DATABASE_URL: await freshPostgresUrl("procs", { migrated: true }),
      REDIS_URL: testServices.redis!,
      REDIS_KEY_PREFIX: freshRedisPrefix("procs"),
      MARKET_SOURCE: "simulator",
      MARKET_BACKFILL_DAYS: "1",
      MARKET_DA_HISTORY_DAYS: "0",
      FORECAST_JOB: "off",
      JWT_SECRET: "a-test-secret-that-is-long-enough-0123456789",
    });
    try {
      const started = (i: number) => (l: Record<string, unknown>) =>
        l.msg === "app process started" && l.instance === i;
      const [first, second] = await Promise.all([app.waitForLog(started(0)), app.waitForLog(started(1))]);
      await app.waitForLog((l) => l.msg === "listening" && app.logs.filter((x) => x.msg === "listening").length >= 2);
      assert.ok(app.url.endsWith(`:${port}`));
      await app.waitReady();
      // Connections are spread over both: each new connection is accepted by one of the two listeners.
      const pids = [first.pid, second.pid] as number[];
      assert.equal(new Set(pids).size, 2);
      // An admin's broadcast, posted to whichever process takes the request, reaches the WebSocket clients
      // of both (the Redis bus): sockets are opened until each process holds some.
      const reg = await fetch(`${app.url}/api/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json", connection: "close" },
        body: JSON.stringify({
          email: `procs-${Date.now()}@example.com`,
          password: "granite-Otter-meadow-47!",
          name: "Procs Admin",
          organization_name: "Procs Org",
        }),
      });
      assert.equal(reg.status, 201);
      const { access_token: token } = await reg.json();
      const sockets: WsProbe[] = [];
      const instances = new Set<string>();
      try {
        for (let i = 0; i < 40 && instances.size < 2; i++) {
          const ws = await WsProbe.open(`${app.url.replace("http", "ws")}/api/ws/prices`, {
            authorization: `Bearer ${token}`,
          });
          sockets.push(ws);
          instances.add((await ws.next("welcome")).instance_id);
        }
        assert.equal(instances.size, 2, "sockets on both processes");
        const tick = {
          zone: "PJM",
          market: "RT",
          interval_start: "2091-01-01T00:00:00.000Z",
          interval_end: "2091-01-01T00:05:00.000Z",
          lmp: 123.25,
          energy: 120.25,
          congestion: 2,
          loss: 1,
        };
        const sent = await fetch(`${app.url}/api/ws/broadcast/price`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}`, connection: "close" },
          body: JSON.stringify({ ticks: [tick] }),
        });
        assert.equal(sent.status, 202, await sent.text());
        for (const ws of sockets) {
          for (;;) {
            const frame = await ws.next("prices");
            if (frame.source === "admin") {
              assert.ok(frame.rows.some((r) => r[0] === "PJM" && r[4] === 123.25));
              break;
            }
          }
        }
      } finally {
        await Promise.all(sockets.map((ws) => ws.close()));
      }

      // Only the first process backfills prices.
      await app.waitForLog((l) => l.msg === "market history backfilled", 60_000);
      assert.equal(app.logs.filter((l) => l.msg === "market history backfilled").length, 1);

      // One dies: the other goes on serving, and the supervisor starts a new first process.
      Deno.kill(pids[0], "SIGKILL");
      await app.waitForLog((l) => l.msg === "app process exited; restarting it" && l.instance === 0);
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${app.url}/health/live`, { headers: { connection: "close" } });
        await res.body?.cancel();
        assert.equal(res.status, 200, `request ${i} while one process is down`);
      }
      const again = await app.waitForLog((l) =>
        l.msg === "app process started" && l.instance === 0 && l.pid !== pids[0]
      );
      await app.waitForLog(() => app.logs.filter((x) => x.msg === "listening").length >= 3);

      const status = await app.stop();
      assert.equal(status.code, 0, "the supervisor exits cleanly");
      assert.ok(app.logs.some((l) => l.msg === "app processes stopped"));
      for (const pid of [again.pid, pids[1]] as number[]) {
        assert.throws(() => Deno.kill(pid, "SIGCONT"), "every app process is gone");
      }
    } finally {
      await app.stop();
    }
  },
);

serviceTest(
  "app processes: a port another program holds stops the supervisor with exit code 78, no restart loop",
  ["postgres", "redis"],
  async () => {
    // Without SO_REUSEPORT: the app's processes cannot share it.
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const out = await runAppToExit({
        APP_PROCESSES: "2",
        PORT: String(taken.addr.port),
        DATABASE_URL: await freshPostgresUrl("procs-taken", { migrated: true }),
        REDIS_URL: testServices.redis!,
        REDIS_KEY_PREFIX: freshRedisPrefix("procs-taken"),
        MARKET_SOURCE: "off",
        FORECAST_JOB: "off",
        JWT_SECRET: "a-test-secret-that-is-long-enough-0123456789",
      });
      assert.equal(out.code, EXIT_CANNOT_START, out.stdout + out.stderr);
      const lines = out.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
      assert.ok(lines.some((l) => l.msg === "cannot start" && /port is in use/.test(l.error)), out.stdout);
      assert.ok(lines.some((l) => l.msg === "an app process cannot start; stopping the others"), out.stdout);
      assert.ok(!lines.some((l) => l.msg === "app process exited; restarting it"), "not restarted");
    } finally {
      taken.close();
    }
  },
);
