/**
 * The islands' API client (components/api_client.ts) against a fake server: an expired access token is
 * renewed once for every call that met it, each call is sent again once; a session that cannot be renewed
 * raises the sign-in prompt's flag and returns the 401 as it came; a later success lowers it.
 */
import assert from "node:assert/strict";
import { apiFetch, checkSession, REFRESH_URL, sessionEnded, setTransport } from "../../components/api_client.ts";

/** A server whose access token is valid from `valid` on; refreshing makes it valid again if `canRefresh`. */
function fakeServer(o: { canRefresh: boolean | "network" }) {
  const log: string[] = [];
  let valid = false;
  let release!: () => void;
  const refreshGate = new Promise<void>((r) => (release = r));
  const transport = async (url: string, init?: RequestInit) => {
    log.push(`${init?.method ?? "GET"} ${url}`);
    if (url === REFRESH_URL) {
      assert.equal(init?.credentials, "same-origin");
      await refreshGate;
      if (o.canRefresh === "network") throw new TypeError("Failed to fetch");
      if (!o.canRefresh) return Response.json({ error: { code: "invalid_token" } }, { status: 401 });
      valid = true;
      return new Response(null, { status: 204 });
    }
    return valid
      ? Response.json({ url })
      : Response.json({ error: { code: "expired_token", message: "expired" } }, { status: 401 });
  };
  return { log, transport, release, makeValid: () => (valid = true) };
}

Deno.test("three calls meet an expired token: one refresh, each call sent again once", async () => {
  const s = fakeServer({ canRefresh: true });
  setTransport(s.transport);
  const calls = Promise.all(["/api/bids", "/api/market-data/latest", "/api/bids/1"].map((u) => apiFetch(u)));
  // Let the three 401s arrive before the refresh answers.
  await new Promise((r) => setTimeout(r, 0));
  s.release();
  const answers = await calls;
  assert.deepEqual(answers.map((r) => r.status), [200, 200, 200]);
  assert.equal(s.log.filter((l) => l === `POST ${REFRESH_URL}`).length, 1, s.log.join("\n"));
  assert.equal(s.log.filter((l) => l === "GET /api/bids").length, 2);
  assert.equal(sessionEnded.value, false);
});

Deno.test("a session that cannot be renewed: the 401 comes back, the prompt's flag is up until a success", async () => {
  const s = fakeServer({ canRefresh: false });
  s.release();
  setTransport(s.transport);
  const r = await apiFetch("/api/bids", { method: "POST", body: "{}" });
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error.code, "expired_token");
  assert.equal(sessionEnded.value, true);
  assert.deepEqual(s.log, ["POST /api/bids", `POST ${REFRESH_URL}`], "no second try of the call");
  // Signed in again in another tab: the cookies work again, the flag goes down.
  s.makeValid();
  assert.equal(await checkSession(), "ok");
  assert.equal(sessionEnded.value, false);
});

Deno.test("a refresh that does not reach the server is no verdict on the session", async () => {
  const s = fakeServer({ canRefresh: "network" });
  s.release();
  setTransport(s.transport);
  const r = await apiFetch("/api/bids");
  assert.equal(r.status, 401);
  assert.equal(sessionEnded.value, false);
});

Deno.test("two tabs renewing at once take turns, so neither presents a spent refresh token", async () => {
  // Two copies of the module are two tabs of one browser: one cookie jar, one server.
  const tabA = await import("../../components/api_client.ts?tab=a");
  const tabB = await import("../../components/api_client.ts?tab=b");
  const jar = { access: false, refresh: "rt-1" as string | null };
  let serial = 1;
  const server = async (_url: string, init?: RequestInit) => {
    // The browser attaches the cookie when it sends the request.
    const presented = jar.refresh;
    const isRefresh = _url === REFRESH_URL;
    await new Promise((r) => setTimeout(r, 20));
    if (!isRefresh) return new Response(null, { status: jar.access ? 200 : 401 });
    assert.equal(init?.method, "POST");
    if (!presented || presented !== jar.refresh) {
      jar.refresh = null; // reuse: the whole session is revoked
      return new Response(null, { status: 401 });
    }
    jar.refresh = `rt-${++serial}`;
    jar.access = true;
    return new Response(null, { status: 204 });
  };
  tabA.setTransport(server);
  tabB.setTransport(server);
  const [a, b] = await Promise.all([tabA.renewSession(), tabB.renewSession()]);
  assert.deepEqual([a, b], [true, true]);
  assert.equal(jar.refresh, "rt-3", "renewed twice, one after the other");
  assert.equal(tabA.sessionEnded.value || tabB.sessionEnded.value, false);
});

Deno.test("a token renewed but expired again before the retry is served: renewed once more, not the session's end", async () => {
  const log: string[] = [];
  let refreshes = 0;
  setTransport((url, init) => {
    log.push(`${init?.method ?? "GET"} ${url}`);
    if (url === REFRESH_URL) {
      refreshes++;
      return Promise.resolve(new Response(null, { status: 204 }));
    }
    // The first renewal's token is already stale when the retry arrives; the second one's is not.
    return Promise.resolve(
      refreshes >= 2
        ? Response.json({ ok: true })
        : Response.json({ error: { code: "expired_token" } }, { status: 401 }),
    );
  });
  const r = await apiFetch("/api/bids");
  assert.equal(r.status, 200);
  assert.equal(sessionEnded.value, false);
  assert.deepEqual(log, [
    "GET /api/bids",
    `POST ${REFRESH_URL}`,
    "GET /api/bids",
    `POST ${REFRESH_URL}`,
    "GET /api/bids",
  ]);
});

Deno.test("renewals that never help end at the limit: the 401 comes back and the prompt's flag is up", async () => {
  const log: string[] = [];
  setTransport((url, init) => {
    log.push(`${init?.method ?? "GET"} ${url}`);
    return Promise.resolve(
      url === REFRESH_URL ? new Response(null, { status: 204 }) : Response.json({ error: {} }, { status: 401 }),
    );
  });
  const r = await apiFetch("/api/bids");
  assert.equal(r.status, 401);
  assert.equal(sessionEnded.value, true);
  assert.equal(log.filter((l) => l === `POST ${REFRESH_URL}`).length, 2);
  assert.equal(log.filter((l) => l === "GET /api/bids").length, 3);
});
