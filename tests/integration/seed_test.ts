/**
 * `deno task seed` on the embedded database: it prints the URL the app is reached at (PORT and
 * HOST, or the running app's own), its passwords work in the app started afterwards, and while
 * the app runs on the same DATA_DIR it refuses with a message instead of writing users the app
 * would never see. A record left by a crashed app does not block it.
 */
import assert from "node:assert/strict";
import { freePort } from "../helpers/ports.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

const ROOT = new URL("../../", import.meta.url);

async function seed(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "--node-modules-dir=manual", "db/seed.ts"],
    cwd: ROOT,
    env: { APP_ENV: "test", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

Deno.test({
  name: "seed on PGlite: the right URL, working passwords, refused while the app runs",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "optibid-seed-" });
    const port = freePort();
    let app: Awaited<ReturnType<typeof spawnApp>> | null = null;
    try {
      // A crashed app's record: stale, so the seed goes ahead.
      await Deno.writeTextFile(
        `${dataDir}/app.pid`,
        JSON.stringify({ pid: await deadPid(), database: "pglite", role: "app", url: "http://127.0.0.1:1" }),
      );
      const first = await seed({ DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1" });
      assert.equal(first.code, 0, first.stderr);
      assert.ok(first.stdout.includes(`http://127.0.0.1:${port}/login`), first.stdout);
      const trader = first.stdout.match(/^\s*trader\s+(\S+)\s+(\S+)\s*$/m);
      assert.ok(trader, first.stdout);
      await assert.rejects(Deno.stat(`${dataDir}/app.pid`), Deno.errors.NotFound, "the seed gives the folder back");

      app = await spawnApp({ DATA_DIR: dataDir, PORT: String(port), MARKET_SOURCE: "off" });
      await app.waitReady();
      const appUrl = app.url;
      /** The status of the seeded trader's login from `ip`. */
      const traderLogin = async (ip: string) => {
        const res = await fetch(`${appUrl}/api/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": ip },
          body: JSON.stringify({ email: trader[1], password: trader[2] }),
        });
        await res.body?.cancel();
        return res.status;
      };
      assert.equal(await traderLogin("198.51.100.41"), 200, "the printed password works in the app");

      // The app runs on this folder: the seed refuses, and says why and what to do.
      const refused = await seed({ DATA_DIR: dataDir });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /The app is running on .* \(pid \d+, http:\/\/127\.0\.0\.1:\d+\)/);
      assert.match(refused.stderr, /Stop it/);
      assert.equal(refused.stdout, "", "no credentials printed");
      assert.equal(await traderLogin("198.51.100.42"), 200, "the app's users are untouched");

      // With Postgres elsewhere the seed does not touch the app's embedded database either.
      const wrongDb = await seed({ DATA_DIR: dataDir, DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
      assert.equal(wrongDb.code, 1);
      assert.match(wrongDb.stderr, /uses the embedded database/);
    } finally {
      await app?.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
