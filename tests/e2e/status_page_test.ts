/**
 * The status page in a real browser: the island hydrates, and a service that
 * comes up shows up without a page reload (a fake MLflow we switch on). Each
 * service's details are an admin's view, so the test signs in as one; a
 * visitor sees the overall status only.
 */
import { freePort } from "../helpers/ports.ts";
import assert from "node:assert/strict";
import { launchBrowser } from "../helpers/browser.ts";
import { register, signIn } from "../helpers/e2e.ts";
import { appDatabaseEnv, serviceTest } from "../helpers/services.ts";
import { spawnApp } from "../helpers/spawn_app.ts";

/** Enough of MLflow's REST API for the adapter's health check. */
function fakeMlflow(port: number, isUp: () => boolean) {
  return Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, (req) => {
    // Held from the start (a port picked and left free could be taken meanwhile); "down" answers 503.
    if (!isUp()) return new Response("starting", { status: 503 });
    const url = new URL(req.url);
    if (url.pathname.startsWith("/api/2.0/mlflow/experiments/search")) {
      return Response.json({ experiments: [{ experiment_id: "0", name: "Default", lifecycle_stage: "active" }] });
    }
    return new Response("not found", { status: 404 });
  });
}

serviceTest("status page: island hydrates and shows a service coming up without a reload", ["chromium"], async () => {
  const mlflowPort = freePort();
  let up = false;
  const mlflow: Deno.HttpServer = fakeMlflow(mlflowPort, () => up);
  const app = await spawnApp({
    MLFLOW_TRACKING_URI: `http://127.0.0.1:${mlflowPort}`,
    MARKET_BACKFILL_DAYS: "1",
    ...await appDatabaseEnv("status"),
  });
  const browser = await launchBrowser();
  try {
    await app.waitReady();
    const email = `status-${Date.now()}@example.com`;
    await register(app.url, { email, name: "Stat Admin", organization_name: "Status Power" });

    // A visitor reads the refresh time in the browser's own zone, named (UTC is only for the API and CSV).
    const visitor = await browser.newPage({ timezoneId: "Asia/Tokyo" });
    await visitor.goto(`${app.url}/system-status`);
    await visitor.waitForSelector('[data-testid="details-hidden"]');
    await visitor.waitForFunction(
      () =>
        /Last refreshed \d\d:\d\d:\d\d GMT\+9/.test(
          document.querySelector('[data-testid="refreshed"]')?.textContent ?? "",
        ),
      undefined,
      { timeout: 15_000 },
    );
    assert.equal(await visitor.$('[data-service="mlflow"]'), null, "a visitor sees no service details");
    await visitor.close();

    // No zone chosen in /settings yet: the browser's.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: "America/Chicago" });
    await page.goto(`${app.url}/login?next=/system-status`);
    await signIn(page, email, `${app.url}/system-status`);
    const consoleErrors: string[] = [];
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    page.on("pageerror", (e) => consoleErrors.push(e.message));
    await page.waitForSelector("html[data-islands-hydrated=true]", { timeout: 15_000 });
    assert.equal(await page.getAttribute("fresh-island", "data-hydrated"), "true");

    const mlflowStatus = () => page.getAttribute('[data-service="mlflow"] [data-status]', "data-status");
    assert.equal(await mlflowStatus(), "unavailable");
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));

    up = true;
    // The registry retries with backoff; the board picks up the change on Refresh (or its 10 s timer).
    const deadline = Date.now() + 30_000;
    while ((await mlflowStatus()) !== "available") {
      if (Date.now() > deadline) {
        const h = await page.evaluate(() => fetch("/health").then((r) => r.text()));
        throw new Error(`mlflow never showed as available; /health: ${h}; page: ${await page.textContent("main")}`);
      }
      await page.click('[data-testid="refresh"]');
      await page.waitForTimeout(500);
    }
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, "no reload");
    assert.match(await page.textContent('[data-testid="refreshed"]') ?? "", /Last refreshed \d\d:\d\d:\d\d C[SD]T/);

    // A failed refresh is shown, and the last good data stays.
    await app.stop();
    await page.click('[data-testid="refresh"]');
    await page.waitForSelector('[data-testid="refresh-error"]', { timeout: 10_000 });
    assert.equal(await mlflowStatus(), "available");
    assert.deepEqual(
      consoleErrors.filter((e) => !/Failed to fetch|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e)),
      [],
    );
  } finally {
    await browser.close();
    await mlflow?.shutdown();
    await app.stop();
  }
}, { sanitizeResources: false, sanitizeOps: false });
