/**
 * Inputs that used to reach a 500 (issue 13): control characters in stored text, numbers the columns
 * round, bodies shorter than their Content-Length, well-signed tokens with claims that are not ids, and
 * the order of the media-type and CSRF checks. Each is a 4xx with the usual JSON error now.
 */
import assert from "node:assert/strict";
import { ACCESS_COOKIE, REFRESH_COOKIE } from "../../server/auth_http.ts";
import {
  call,
  type CallResult,
  claimsOf,
  createOrg,
  expectError,
  expectStatus,
  mintAccessToken,
  newSession,
  opts,
  type Org,
} from "../helpers/auth.ts";
import { battery as storageAsset, pjmSite } from "../helpers/bids.ts";
import { GOOD_PASSWORD, TEST_ORIGIN, type TestApp, testApp, uniqueEmail, uniqueIp } from "../helpers/test_app.ts";

const site = pjmSite("Solar Ridge");
const battery = storageAsset("BESS");

/** A 4xx with the API's error body, never a 5xx. */
function expectClientError(r: CallResult, what: string): void {
  assert.ok(r.status >= 400 && r.status < 500, `${what}: expected a 4xx, got ${r.status}: ${r.text.slice(0, 300)}`);
  assert.equal(typeof r.body?.error?.code, "string", `${what}: JSON error body: ${r.text.slice(0, 300)}`);
}

async function fixtures(t: TestApp, tag: string) {
  const org = await createOrg(t, tag);
  const token = org.admin.tokens.access_token;
  const s = await call(t, "POST", "/api/sites", { token, body: { ...site, name: `${tag} site` } });
  expectStatus(s, 201, "site");
  return { org, token, siteId: s.body.id as string };
}

/** Every place that stores free text, as (label, method, path, body with the text in it). */
function textWrites(f: { org: Org; siteId: string }, bad: string) {
  const pw = GOOD_PASSWORD;
  return [
    ["site name", "POST", "/api/sites", { ...site, name: `S${bad}1` }],
    ["site node", "POST", "/api/sites", { ...site, name: "Other", node: `N${bad}x` }],
    ["site update", "PUT", `/api/sites/${f.siteId}`, { name: `S${bad}2` }],
    ["asset name", "POST", "/api/assets", { ...battery, site_id: f.siteId, name: `A${bad}x` }],
    ["my name", "PUT", "/api/auth/me", { name: `Me${bad}x` }],
    ["member name", "PUT", `/api/users/${f.org.admin.userId}`, { name: `Me${bad}x` }],
    ["organization name", "PUT", "/api/organizations/current", { name: `Org${bad}x` }],
    ["settings key", "PUT", "/api/organizations/current", { settings: { [`k${bad}x`]: "v" } }],
    ["settings value", "PUT", "/api/organizations/current", { settings: { k: `v${bad}x` } }],
    ["API key name", "POST", "/api/api-keys", { name: `key${bad}x` }],
    [
      "register name",
      "POST",
      "/api/auth/register",
      { email: uniqueEmail("nul"), password: pw, name: `N${bad}x`, organization_name: "Fine Org" },
    ],
    [
      "register organization",
      "POST",
      "/api/auth/register",
      { email: uniqueEmail("nul"), password: pw, name: "Fine", organization_name: `Org${bad}x` },
    ],
  ] as const;
}

Deno.test("text: a NUL anywhere in stored text is a 400, on every route that stores text", opts, async () => {
  const t = await testApp();
  const f = await fixtures(t, "nul");
  for (const [label, method, path, body] of textWrites(f, "\u0000")) {
    const r = await call(t, method, path, { token: f.token, body, ip: uniqueIp() });
    expectClientError(r, label);
    assert.equal(r.status, 400, `${label}: ${r.text}`);
  }
  // Nothing was stored: the names are what they were.
  const me = await call(t, "GET", "/api/auth/me", { token: f.token });
  assert.equal(me.body.user.name, f.org.admin.name);
  assert.equal(me.body.organization.name, f.org.name);
});

Deno.test("text: other control characters are refused by the schema, naming the field", opts, async () => {
  const t = await testApp();
  const f = await fixtures(t, "ctl");
  for (const bad of ["\u0001", "\u001b[31m", "\u007f", "\u0085", "\n", "\ud800"]) {
    for (const [label, method, path, body] of textWrites(f, bad)) {
      const r = await call(t, method, path, { token: f.token, body, ip: uniqueIp() });
      expectError(r, 400, "validation_failed", `${label} with ${JSON.stringify(bad)}`);
      const paths = (r.body.error.details as { path: string }[]).map((d) => d.path);
      assert.ok(paths.some((p) => p.startsWith("body.")), `${label}: names the field: ${JSON.stringify(paths)}`);
    }
  }
});

Deno.test("text: the /profile and /register forms refuse control characters with a form error", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "form-nul");
  const session = await newSession(t, org.admin);
  const cookie = `${ACCESS_COOKIE}=${session.access_token}; ${REFRESH_COOKIE}=${session.refresh_token}`;
  const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: TEST_ORIGIN, ...headers },
    body: new URLSearchParams(fields).toString(),
    ip: uniqueIp(),
  });
  for (const bad of ["\u0000", "\u0007"]) {
    const profile = await t.fetch("/profile", form({ _action: "name", name: `Evil${bad}` }, { cookie }));
    assert.equal(profile.status, 400, `/profile name ${JSON.stringify(bad)}`);
    assert.match(await profile.text(), /control characters/);
    const key = await t.fetch(
      "/profile",
      form({ _action: "api_key_create", name: `k${bad}`, role: "viewer" }, { cookie }),
    );
    assert.equal(key.status, 400, `/profile key name ${JSON.stringify(bad)}`);
    await key.body?.cancel();
    const reg = await t.fetch(
      "/register",
      form({ name: `N${bad}`, email: uniqueEmail("formnul"), password: GOOD_PASSWORD, organization_name: "Form Org" }),
    );
    assert.equal(reg.status, 400, `/register name ${JSON.stringify(bad)}`);
    assert.match(await reg.text(), /control characters/);
  }
  // A `next` carrying a control character cannot break the redirect.
  const login = await t.fetch(
    "/login",
    form({ email: org.admin.email, password: GOOD_PASSWORD, next: "/market\u0000\r\nX-Evil: 1" }),
  );
  assert.equal(login.status, 303);
  assert.equal(login.headers.get("location"), "/");
  assert.equal(login.headers.get("x-evil"), null);
});

Deno.test("numbers: values a numeric column would round are refused, naming the field", opts, async () => {
  const t = await testApp();
  const f = await fixtures(t, "num");
  const cases: [string, Record<string, unknown>, string][] = [
    ["capacity 0.0001 MW (numeric(10,3) → 0)", { capacity_mw: 0.0001 }, "body.capacity_mw"],
    ["energy below 0.0005", { energy_mwh: 0.0004 }, "body.energy_mwh"],
    ["charge below 0.0005", { charge_mw: 0.0004 }, "body.charge_mw"],
    ["discharge below 0.0005", { discharge_mw: 0.0004 }, "body.discharge_mw"],
    ["efficiency 0.00001 (numeric(5,4) → 0)", { round_trip_efficiency: 0.00001 }, "body.round_trip_efficiency"],
    ["SoC limits that round to the same value", { min_soc: 0.89996, max_soc: 0.89999 }, "body.min_soc"],
    ["capacity at the column's limit", { capacity_mw: 1e7, charge_mw: 1, discharge_mw: 1 }, "body.capacity_mw"],
    ["a denormal", { energy_mwh: 5e-324 }, "body.energy_mwh"],
  ];
  for (const [label, over, path] of cases) {
    const r = await call(t, "POST", "/api/assets", {
      token: f.token,
      body: { ...battery, site_id: f.siteId, name: label.slice(0, 40), ...over },
    });
    expectError(r, 400, "validation_failed", label);
    const paths = (r.body.error.details as { path: string }[]).map((d) => d.path);
    assert.ok(paths.includes(path), `${label}: ${JSON.stringify(paths)}`);
  }
  // Exactly what the columns store is accepted and comes back unchanged.
  const ok = await call(t, "POST", "/api/assets", {
    token: f.token,
    body: {
      ...battery,
      site_id: f.siteId,
      name: "precise",
      capacity_mw: 0.001,
      charge_mw: 0.001,
      discharge_mw: 0.001,
      min_soc: 0.8999,
      max_soc: 0.9,
    },
  });
  expectStatus(ok, 201, "3 and 4 decimals");
  assert.equal(ok.body.capacity_mw, 0.001);
  assert.equal(ok.body.min_soc, 0.8999);

  // Meter readings: numeric(12,4).
  const end = Math.floor(Date.now() / 300_000) * 300_000 - 3_600_000;
  const reading = (mw: number) => ({
    readings: [{
      interval_start: new Date(end - 300_000).toISOString(),
      interval_end: new Date(end).toISOString(),
      mw,
    }],
  });
  for (const mw of [1e9, 1e308, 0.00001, -123456789]) {
    const r = await call(t, "PUT", `/api/assets/${ok.body.id}/meter-readings`, { token: f.token, body: reading(mw) });
    expectError(r, 400, "validation_failed", `meter reading of ${mw} MW`);
  }
});

Deno.test("numbers: a CHECK or range refusal that reaches the database is a 4xx naming the field", opts, async () => {
  const t = await testApp();
  const { classifyError } = await import("../../server/errors.ts");
  const db = t.services.db();
  const failure = async (sql: string) => {
    try {
      await db.query(sql);
    } catch (e) {
      return e;
    }
    throw new Error(`expected ${sql} to fail`);
  };
  // A plain table, not a TEMP one: on Postgres the pool may run each statement on another connection.
  const probe = `input_rules_probe_${crypto.randomUUID().slice(0, 8)}`;
  await db.query(`CREATE TABLE ${probe} (qty numeric(5, 2) CHECK (qty > 0), label varchar(3))`);
  const expectations: [string, number, string, RegExp][] = [
    [`INSERT INTO ${probe} (qty) VALUES (0.001)`, 400, "check_violation", /qty/],
    [`INSERT INTO ${probe} (qty) VALUES (1e6)`, 400, "number_out_of_range", /./],
    [`INSERT INTO ${probe} (qty, label) VALUES (1, 'abcdef')`, 400, "value_too_long", /./],
    [`SELECT E'a\\000b'`, 400, "invalid_text", /./],
    [`SELECT '"a\\u0000b"'::jsonb ->> 0`, 400, "invalid_text", /./],
    // Any other data exception (class 22): a value of the wrong form for its column.
    [`SELECT 'not-a-uuid'::uuid`, 400, "invalid_value", /./],
    [`SELECT 'yesterday-ish'::timestamptz`, 400, "invalid_value", /./],
  ];
  for (const [sql, status, code, names] of expectations) {
    const e = classifyError(await failure(sql));
    assert.equal(e?.status, status, sql);
    assert.equal(e?.options.code, code, sql);
    assert.match(e!.message, names, sql);
  }
  for (const code of ["22021", "22P05", "22001", "22003", "23514"]) {
    const e = classifyError({ code, table_name: "assets", constraint_name: "assets_capacity_mw_check" });
    assert.equal(e?.status, 400, code);
    assert.match(e!.message, /capacity_mw/, code);
  }
  await db.query(`DROP TABLE ${probe}`);
});

/** Sends a request whose body is shorter than its Content-Length, then half-closes; returns the status line. */
async function truncated(port: number, path: string, contentType: string, partial: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${contentType}\r\n` +
    `Origin: http://127.0.0.1:${port}\r\nContent-Length: ${partial.length + 100}\r\nConnection: close\r\n\r\n`;
  await conn.write(new TextEncoder().encode(head + partial));
  await conn.closeWrite();
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  conn.close();
  const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  return text.split("\r\n")[0] + "\n" + text.slice(text.indexOf("\r\n\r\n") + 4);
}

Deno.test("bodies: a body shorter than its Content-Length (client half-closed) is a 400", opts, async () => {
  const t = await testApp();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req, info) => t.app.fetch(req, info),
  );
  try {
    const { port } = server.addr;
    for (
      const [path, type, partial] of [
        ["/api/auth/login", "application/json", `{"email":"a@example.com","pass`],
        ["/api/auth/register", "application/json", `{"email":`],
        ["/login", "application/x-www-form-urlencoded", "email=a%40example.com&pass"],
        ["/register", "application/x-www-form-urlencoded", "name=A"],
      ]
    ) {
      const res = await truncated(port, path, type, partial);
      assert.match(res, /^HTTP\/1\.1 400 /, `${path}: ${res.slice(0, 300)}`);
      if (path.startsWith("/api/")) assert.match(res, /"code":"unreadable_body"/, path);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test(
  "tokens: a correctly signed token whose sub, org or sid is not a UUID is 401 invalid_token",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "claims");
    const real = claimsOf(org.admin.tokens.access_token) as { sub: string; org: string; role: string; sid: string };
    const base = { sub: real.sub, org: real.org, role: real.role, sid: real.sid };
    expectStatus(await call(t, "GET", "/api/auth/me", { token: await mintAccessToken(base) }), 200, "control");
    for (const over of [{ sub: "user-1" }, { org: "not-a-uuid" }, { sid: "' OR 1=1 --" }, { sub: "a\u0000b" }]) {
      const token = await mintAccessToken({ ...base, ...over });
      for (const path of ["/api/auth/me", "/api/sites", "/api/bids"]) {
        expectError(await call(t, "GET", path, { token }), 401, "invalid_token", `${path} ${JSON.stringify(over)}`);
      }
    }
  },
);

Deno.test("media type before CSRF: a non-JSON API write is 415, whoever sends it", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "mediatype");
  const session = await newSession(t, org.admin);
  const cookie = `${ACCESS_COOKIE}=${session.access_token}; ${REFRESH_COOKIE}=${session.refresh_token}`;
  for (
    const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/xml"]
  ) {
    for (
      const [who, headers] of [
        ["anonymous", {}],
        ["cookie", { cookie }],
        ["bearer", { authorization: `Bearer ${session.access_token}` }],
      ] as const
    ) {
      for (const path of ["/api/auth/login", "/api/sites", "/api/auth/logout"]) {
        const r = await call(t, "POST", path, {
          headers: { ...headers, "content-type": type },
          body: JSON.stringify({ email: org.admin.email, password: GOOD_PASSWORD }),
        });
        expectError(r, 415, "unsupported_media_type", `${who} ${path} as ${type}`);
      }
    }
  }
  // The session was not touched by any of it (the logouts above never ran).
  expectStatus(await call(t, "GET", "/api/auth/me", { token: session.access_token }), 200);
});

Deno.test("CSRF applies to cookies: a form post authenticated by an API key is not refused as CSRF", opts, async () => {
  const t = await testApp();
  const org = await createOrg(t, "keyform");
  const key = await call(t, "POST", "/api/api-keys", {
    token: org.admin.tokens.access_token,
    body: { name: "script" },
  });
  expectStatus(key, 201);
  const res = await t.fetch("/profile", {
    method: "POST",
    headers: { authorization: `Bearer ${key.body.key}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _action: "name", name: "Renamed By Script" }).toString(),
    ip: uniqueIp(),
  });
  assert.equal(res.status, 303, await res.text());
  assert.equal(res.headers.get("location"), "/profile?done=name");
  const me = await call(t, "GET", "/api/auth/me", { token: org.admin.tokens.access_token });
  assert.equal(me.body.user.name, "Renamed By Script");

  // Without the header the same form post is still a cross-site candidate: refused without our Origin.
  const session = await newSession(t, org.admin);
  const forged = await t.fetch("/profile", {
    method: "POST",
    headers: {
      cookie: `${ACCESS_COOKIE}=${session.access_token}`,
      "content-type": "application/x-www-form-urlencoded",
      origin: "https://evil.example",
    },
    body: new URLSearchParams({ _action: "name", name: "Pwned" }).toString(),
    ip: uniqueIp(),
  });
  assert.equal(forged.status, 403);
  await forged.body?.cancel();
  // Login CSRF through the page form (no cookies, foreign origin) stays refused.
  const login = await t.fetch("/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
    body: new URLSearchParams({ email: org.admin.email, password: GOOD_PASSWORD }).toString(),
    ip: uniqueIp(),
  });
  assert.equal(login.status, 403);
  await login.body?.cancel();
});
