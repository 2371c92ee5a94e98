/**
 * Property: no request to any API route, however malformed, makes the app answer 5xx; a 4xx always
 * carries the JSON error body. The routes come from the manifest (fresh.gen.ts) and their declared
 * schemas (framework/api.ts), so a route added later is fuzzed without anyone editing this file.
 *
 * Requests are generated from each operation's params, query and body schemas (tests/helpers/
 * schema_arbitrary.ts): mostly of the declared shape with hostile leaves (NUL and other control
 * characters, lone surrogates, strings past their limits, 1e308, 5e-324, -0, 0.0001), sometimes of no
 * shape at all (wrong types, 20,000-deep nesting, unknown fields, hand-written broken JSON). They are
 * sent to the real app on real Postgres as the admin of a fresh organization, with ids of that
 * organization's rows mixed in so handlers get past "not found" to the database.
 *
 * FUZZ_RUNS (per operation, default 30), FUZZ_BUDGET_MS (default 35 s) and FUZZ_SEED widen or replay a
 * run; a failure prints the seed, the request and the response.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { z } from "zod";
import { getApiSpec } from "../../framework/api.ts";
import { parseRouteFile, toOpenApiPath } from "../../framework/route_path.ts";
import type { Manifest } from "../../framework/types.ts";
import manifest from "../../fresh.gen.ts";
import { ISOS } from "../../services/market/zones.ts";
import { call, createOrg, expectStatus, opts } from "../helpers/auth.ts";
import { battery, deliveryHour, pjmSite } from "../helpers/bids.ts";
import {
  type ArbitraryContext,
  arbitraryOf,
  hostileValue,
  type JsonSchema,
  NO_ROW,
  RAW_BODIES,
  withOneHostileLeaf,
} from "../helpers/schema_arbitrary.ts";
import { freshPostgresUrl, serviceTest } from "../helpers/services.ts";
import { GOOD_PASSWORD, type TestApp, testApp, uniqueIp } from "../helpers/test_app.ts";

const RUNS = Number(Deno.env.get("FUZZ_RUNS") ?? 30);
const SEED = Deno.env.get("FUZZ_SEED") ? Number(Deno.env.get("FUZZ_SEED")) : undefined;
/** Past this, the remaining operations get a few runs each, so the test stays well under a minute. */
const BUDGET_MS = Number(Deno.env.get("FUZZ_BUDGET_MS") ?? 35_000);
const RUNS_OVER_BUDGET = 3;

interface Operation {
  method: string;
  /** OpenAPI form, e.g. /api/sites/{id}. */
  path: string;
  permission: string;
  params?: JsonSchema;
  query?: JsonSchema;
  body?: JsonSchema;
  bodyOptional: boolean;
}

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

function operations(): Operation[] {
  const ops: Operation[] = [];
  for (const [key, mod] of Object.entries((manifest as Manifest).routes)) {
    if (!key.startsWith("./routes/api/")) continue;
    const spec = getApiSpec(mod.handler);
    assert.ok(spec, `${key} declares no API operations`);
    const path = toOpenApiPath(parseRouteFile(key).pattern!);
    for (const [method, op] of Object.entries(spec)) {
      if (!op) continue;
      ops.push({
        method,
        path,
        permission: op.permission,
        params: op.params ? jsonSchemaOf(op.params) : undefined,
        query: op.query ? jsonSchemaOf(op.query) : undefined,
        body: op.body ? jsonSchemaOf(op.body) : undefined,
        bodyOptional: op.body ? op.body.safeParse(undefined).success : true,
      });
    }
  }
  return ops;
}

/** Rows of the fuzzing organization, so ids in paths and bodies hit something real. */
interface Fixture {
  token: string;
  userId: string;
  ids: Record<string, string[]>;
}

async function makeFixture(t: TestApp): Promise<Fixture> {
  const org = await createOrg(t, "fuzz");
  const token = org.admin.tokens.access_token;
  const ids: Record<string, string[]> = { sites: [], assets: [], bids: [], users: [], "api-keys": [], invitations: [] };
  const post = async (path: string, body: unknown) => {
    const r = await call(t, "POST", path, { token, body, ip: org.admin.ip });
    return r.status < 300 ? r.body : null;
  };
  const site = await post("/api/sites", pjmSite("Fuzz Site"));
  if (site) ids.sites.push(site.id);
  const asset = site && await post("/api/assets", { site_id: site.id, ...battery("Fuzz BESS") });
  if (asset) ids.assets.push(asset.id);
  if (asset) {
    const bid = await post("/api/bids", {
      asset_id: asset.id,
      zone: "PJM",
      market: "DA",
      interval_start: deliveryHour(),
      side: "offer",
      segments: [{ price: 25, quantity: 10 }],
    });
    if (bid) ids.bids.push(bid.id);
  }
  const key = await post("/api/api-keys", { name: "fuzz spare", role: "viewer" });
  if (key) ids["api-keys"].push(key.api_key.id);
  const inv = await post("/api/organizations/current/invitations", {
    email: `fuzz-invitee-${crypto.randomUUID().slice(0, 8)}@example.com`,
    role: "viewer",
  });
  if (inv) ids.invitations.push(inv.invitation.id);
  // A member to change and remove (never the admin the fuzzer acts as).
  if (inv) {
    const r = await call(t, "POST", "/api/auth/register", {
      body: { email: inv.invitation.email, password: GOOD_PASSWORD, name: "Fuzz Member", invitation_token: inv.token },
      ip: uniqueIp(),
    });
    if (r.status === 201) ids.users.push(r.body.user.id);
  }
  return { token, userId: org.admin.userId, ids };
}

/** Which fixture ids fit a path: /api/sites/{id} → sites. */
function poolOf(path: string, fx: Fixture): string[] {
  const m = /^\/api\/(?:organizations\/current\/)?([\w-]+)/.exec(path);
  return fx.ids[m?.[1] ?? ""] ?? [];
}

function allIds(fx: Fixture): string[] {
  return Object.values(fx.ids).flat();
}

interface Sample {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: { json: unknown } | { raw: string } | undefined;
  contentType: string | undefined;
}

function sampleArbitrary(op: Operation, ctx: ArbitraryContext, fx: () => Fixture): fc.Arbitrary<Sample> {
  const names = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const paramArb = (name: string): fc.Arbitrary<string> => {
    const junk = fc.constantFrom("x", "..", "%00", "%E0%A4%A", "a".repeat(300), "null", "-1");
    if (name === "zone") return fc.oneof(fc.constantFrom(...ISOS), fc.constantFrom("pjm", "XX"), junk);
    return fc.oneof(
      {
        weight: 4,
        arbitrary: fc.nat().map((i) => poolOf(op.path, fx())[i % Math.max(1, poolOf(op.path, fx()).length)] ?? NO_ROW),
      },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: junk },
    );
  };
  const params = fc.record(Object.fromEntries(names.map((n) => [n, paramArb(n)])));
  const query: fc.Arbitrary<Record<string, unknown>> = op.query
    ? fc.oneof(
      { weight: 3, arbitrary: withOneHostileLeaf(arbitraryOf(op.query, ctx, "", 0, "tame")).map(asRecord) },
      { weight: 2, arbitrary: arbitraryOf(op.query, ctx).map(asRecord) },
      {
        weight: 1,
        arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
      },
    )
    : fc.oneof(
      { weight: 5, arbitrary: fc.constant({}) },
      {
        weight: 1,
        arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 2 }),
      },
    );
  const bodyArb: fc.Arbitrary<Sample["body"]> = op.method === "GET" || op.method === "HEAD"
    ? fc.constant(undefined)
    : op.body
    ? fc.oneof(
      { weight: 12, arbitrary: hostileValue(op.body, ctx).map((json) => ({ json })) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES).map((raw) => ({ raw })) },
      ...(op.bodyOptional ? [{ weight: 1, arbitrary: fc.constant(undefined) }] : []),
    )
    : fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((json) => ({ json })) },
    );
  const contentType = fc.oneof(
    { weight: 12, arbitrary: fc.constant("application/json") },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "application/json; charset=utf-8",
        "application/merge-patch+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=\u00ff",
      ),
    },
  );
  return fc.record({ params, query, body: bodyArb, contentType }).map((s) => ({
    ...s,
    contentType: s.body === undefined ? undefined : s.contentType,
  }));
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : {};
}

function urlOf(op: Operation, s: Sample): string {
  let path = op.path;
  for (const [k, v] of Object.entries(s.params)) {
    // "%00" and friends are sent as written: a client can put any escape in a path.
    path = path.replace(`{${k}}`, /%/.test(v) ? v : encodeURIComponent(v));
  }
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(s.query ?? {})) {
    for (const x of Array.isArray(v) ? v : [v]) {
      q.append(k, typeof x === "string" ? x : x !== null && typeof x === "object" ? JSON.stringify(x) : String(x));
    }
  }
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

function describe(op: Operation, s: Sample, status: number, text: string): string {
  const body = s.body === undefined ? "(none)" : "raw" in s.body ? s.body.raw : JSON.stringify(s.body.json);
  return `${op.method} ${urlOf(op, s)} [${s.contentType ?? "no content-type"}] body ${body.slice(0, 300)} → ` +
    `${status} ${text.slice(0, 300)}`;
}

serviceTest(
  "fuzz: no API request, however malformed, gets a 5xx; every 4xx is a JSON error",
  ["postgres"],
  async () => {
    const t = await testApp({ DATABASE_URL: await freshPostgresUrl("fuzz", { migrated: true }) });
    let fixture = await makeFixture(t);
    const ctx: ArbitraryContext = {
      defs: {},
      uuids: () => allIds(fixture),
      hints: {
        password: fc.constant(GOOD_PASSWORD),
        new_password: fc.constant(`${GOOD_PASSWORD}-new`),
        current_password: fc.constant(GOOD_PASSWORD),
        zones: fc.constantFrom("PJM", "PJM,CAISO", "pjm, ercot", ",,,", "PJM".repeat(70)),
      },
    };
    const ops = operations();
    assert.ok(ops.length >= 40, `expected every API operation, found ${ops.length}`);

    const failures: string[] = [];
    let sent = 0;
    const started = Date.now();
    for (const op of ops) {
      for (const part of [op.params, op.query, op.body]) Object.assign(ctx.defs, part?.$defs ?? {});
      const arb = sampleArbitrary(op, ctx, () => fixture);
      let lostCredentials = false;
      try {
        await fc.assert(
          fc.asyncProperty(arb, async (s) => {
            const headers: Record<string, string> = { authorization: `Bearer ${fixture.token}` };
            if (s.contentType) headers["content-type"] = s.contentType;
            const body = s.body === undefined ? undefined : "raw" in s.body ? s.body.raw : JSON.stringify(s.body.json);
            const res = await t.fetch(urlOf(op, s), { method: op.method, headers, body, ip: uniqueIp() });
            const text = await res.text();
            sent++;
            if (res.status >= 500) throw new Error(describe(op, s, res.status, text));
            if (res.status >= 400) {
              let parsed: { error?: { code?: unknown; message?: unknown } } | null = null;
              try {
                parsed = JSON.parse(text);
              } catch { /* checked below */ }
              if (typeof parsed?.error?.code !== "string" || typeof parsed.error.message !== "string") {
                throw new Error(`not a JSON error: ${describe(op, s, res.status, text)}`);
              }
              // Sign-out, password and MFA changes may end the fuzzer's own session: start over with a new one.
              if (res.status === 401 && op.permission !== "public") lostCredentials = true;
            }
            if (lostCredentials) {
              lostCredentials = false;
              if ((await call(t, "GET", "/api/auth/me", { token: fixture.token })).status === 401) {
                fixture = await makeFixture(t);
              }
            }
          }),
          {
            numRuns: Date.now() - started > BUDGET_MS ? RUNS_OVER_BUDGET : RUNS,
            seed: SEED,
            // No shrinking: each step is a request, and the counterexample as found reads well enough.
            endOnFailure: true,
          },
        );
      } catch (e) {
        const lines = (e as Error).message.split("\n").filter((l) => l.trim() && !/^\s*(Hint|Shrunk)/.test(l));
        failures.push(`${op.method} ${op.path}:\n  ${lines.map((l) => l.trim().slice(0, 800)).join("\n  ")}`);
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`fuzz: ${sent} requests over ${ops.length} operations in ${seconds} s`);
    assert.ok(sent >= ops.length * 5, `too few requests to mean anything: ${sent}`);
    assert.deepEqual(failures, [], `requests that broke the app:\n${failures.join("\n\n")}`);
    // The fuzzer's credentials still work at the end (or were renewed): the run exercised authenticated paths.
    expectStatus(await call(t, "GET", "/api/auth/me", { token: fixture.token }), 200);
  },
  opts,
);
