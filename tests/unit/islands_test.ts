import assert from "node:assert/strict";
import { signal } from "@preact/signals";
import fc from "fast-check";
import { revive, SerializationError, stringifyForHtml, toSerializable } from "../../framework/serialize.ts";
import { asciiHtml } from "../../framework/render.ts";
import { readable } from "../helpers/html.ts";
import { fixtureApp } from "../helpers/fixture_app.tsx";

const { app } = fixtureApp();

function state(html: string) {
  const m = html.match(/<script type="application\/json" id="__FRSH_STATE">(.*?)<\/script>/);
  assert.ok(m, "page carries island state");
  return JSON.parse(m[1]);
}

Deno.test("islands are marked with their name and props index, and only they are hydrated", async () => {
  const html = await (await app.request("http://x/islands")).text();
  assert.match(
    html,
    /<fresh-island data-island="Counter" data-props="0"><button type="button"\s*>count:3<\/button><\/fresh-island>/,
  );
  assert.match(
    html,
    /<fresh-island data-island="Counter" data-props="1"><button type="button"\s*>count:7<\/button><\/fresh-island>/,
  );
  const s = state(html);
  assert.deepEqual(s.islands, { Counter: "/_fresh/islands/Counter-1.js" });
  assert.deepEqual(s.props[0], { start: 3, when: { __t: "Date", v: "2026-01-02T03:04:05.000Z" } });
  assert.deepEqual(s.props[1], { start: 7 });
  assert.match(html, /<script type="module" src="\/_fresh\/boot-123.js"><\/script><\/body>/);
});

Deno.test("a page without islands ships no JavaScript", async () => {
  const html = await (await app.request("http://x/market/PJM")).text();
  assert.doesNotMatch(html, /<script/);
});

Deno.test("a function prop is a clear error naming the island and the prop", async () => {
  const errors: unknown[] = [];
  const { app } = fixtureApp(errors);
  const res = await app.request("http://x/bad-island");
  assert.equal(res.status, 500);
  assert.match(String(errors[0]), /Island "Counter#Fancy": props\.onPick is a function/);
});

Deno.test("serialisation: JSON values, Date, signals, undefined; rejects the rest", () => {
  const value = { a: [1, "x", null, true], d: new Date(0), s: signal({ n: 1 }), u: undefined };
  const wire = JSON.parse(JSON.stringify(toSerializable(value, "props")));
  const back = revive(wire, (v) => ({ signal: v })) as Record<string, unknown>;
  assert.deepEqual(back.a, [1, "x", null, true]);
  assert.ok(back.d instanceof Date && back.d.getTime() === 0);
  assert.deepEqual(back.s, { signal: { n: 1 } });
  assert.ok("u" in back && back.u === undefined);
  for (
    const [bad, pattern] of [
      [{ f: () => 1 }, /props\.f is a function/],
      [{ m: new Map() }, /props\.m is an instance of Map/],
      [{ n: NaN }, /props\.n is NaN/],
      [{ b: 1n }, /props\.b is a bigint/],
      [{ x: { __t: "Date" } }, /reserved key/],
    ] as const
  ) {
    assert.throws(
      () => toSerializable(bad, "props"),
      (e) => e instanceof SerializationError && pattern.test(e.message),
    );
  }
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assert.throws(() => toSerializable(circular, "props"), /circular/);
});

Deno.test("island state cannot break out of its script element", () => {
  const out = stringifyForHtml({ s: "</script><script>alert(1)</script>\u2028" });
  assert.doesNotMatch(out, /<\/script>/);
  assert.deepEqual(JSON.parse(out), { s: "</script><script>alert(1)</script>\u2028" });
});

Deno.test("pages and island state are ASCII (but for C1 controls), and read back as the same text", () => {
  fc.assert(fc.property(fc.string({ unit: "binary" }), fc.jsonValue(), (text, value) => {
    const html = asciiHtml(`<p title="${text}">${text}</p>`);
    assert.doesNotMatch(html, /[\u00a0-\u{10ffff}]/u);
    // The text has no references of its own to confuse the decoding: rendered text escapes its `&`.
    if (!text.includes("&")) assert.equal(readable(html), `<p title="${text}">${text}</p>`);
    const json = stringifyForHtml({ text, value });
    assert.doesNotMatch(json, /[\u0080-\u{10ffff}]/u);
    assert.doesNotMatch(json, /</);
    assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify({ text, value })));
  }));
  assert.equal(asciiHtml("<p>5 — 6 € 😀</p>"), "<p>5 &#x2014; 6 &#x20ac; &#x1f600;</p>");
  // A browser would read &#x85; as "…": the C1 controls are left as they are.
  assert.equal(asciiHtml("a\u0085b\u009fc\u00a0d"), "a\u0085b\u009fc&#xa0;d");
});

/**
 * What an island may run in the browser. Its module graph (runtime imports only: `import type` is erased
 * from the bundle) may reach islands/ and components/, these few services/ modules that are pure data
 * and rules shared with the server, and these npm packages. Anything else — db/, server/, framework's
 * server side, routes/, utils.ts, the rest of services/, node: builtins, postgres, hono — fails the test.
 */
const BROWSER_SAFE_SERVICES = new Set([
  "services/bids/feasibility.ts",
  "services/bids/schema.ts",
  "services/bids/virtual_rules.ts",
  "services/dashboard/gates.ts",
  "services/forecast_live/schema.ts",
  "services/market/clock.ts",
  "services/market/market_time.ts",
  "services/market/price_input.ts",
  "services/market/types.ts",
  "services/market/units.ts",
  "services/market/zones.ts",
  "services/queue/pass_loop.ts",
  "services/realtime/client.ts",
  "services/realtime/rows.ts",
  "services/schemas/numeric.ts",
  "services/http/csv.ts",
]);
const BROWSER_SAFE_NPM = new Set(["preact", "@preact/signals", "uplot", "zod"]);
const ROOT = new URL("../../", import.meta.url);

interface InfoModule {
  specifier: string;
  dependencies?: { specifier: string; code?: { specifier: string } }[];
}

/** The modules an entry imports at run time, transitively (files) and directly from npm or elsewhere. */
async function runtimeGraph(entry: string): Promise<{ files: Set<string>; external: Map<string, string> }> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json", entry], cwd: ROOT }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { roots: string[]; modules: InfoModule[] };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const files = new Set<string>();
  const external = new Map<string, string>();
  const todo = [...info.roots];
  while (todo.length) {
    const spec = todo.pop()!;
    if (files.has(spec)) continue;
    files.add(spec);
    for (const dep of bySpecifier.get(spec)?.dependencies ?? []) {
      const target = dep.code?.specifier;
      if (!target) continue; // type-only
      if (target.startsWith("file:")) todo.push(target);
      else external.set(target, spec);
    }
  }
  return { files, external };
}

/** Why each module of the graph may not be in a browser bundle (empty: all fine). */
async function serverOnlyModules(entry: string): Promise<string[]> {
  const { files, external } = await runtimeGraph(entry);
  const bad: string[] = [];
  const rel = (url: string) => url.slice(ROOT.href.length);
  const entryRel = rel(new URL(entry, ROOT).href);
  for (const url of files) {
    const path = rel(url);
    if (path === entryRel || path.startsWith("islands/") || path.startsWith("components/")) continue;
    if (BROWSER_SAFE_SERVICES.has(path)) continue;
    // With a manual node_modules/ (deno.json), npm packages resolve to files inside it: judge the package.
    const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(path)?.[1];
    if (pkg && BROWSER_SAFE_NPM.has(pkg)) continue;
    bad.push(path);
  }
  for (const [spec, from] of external) {
    const npm = /^npm:\/?((?:@[^/]+\/)?[^@/]+)/.exec(spec)?.[1];
    if (npm && BROWSER_SAFE_NPM.has(npm)) continue;
    bad.push(`${spec} (imported by ${rel(from)})`);
  }
  return bad.sort();
}

Deno.test("islands import only browser-safe modules", async () => {
  const islands = [...Deno.readDirSync(new URL("islands/", ROOT))].filter((e) => e.isFile).map((e) => e.name);
  assert.ok(islands.length >= 5);
  for (const name of islands) {
    assert.deepEqual(await serverOnlyModules(`islands/${name}`), [], `islands/${name} reaches server-only modules`);
  }
});

Deno.test("the browser-safety check names a server module reached through a component", async () => {
  // Beside this test, not in components/: the build hashes that folder, maybe while this runs.
  const dir = await Deno.makeTempDir({ dir: new URL("./", import.meta.url).pathname, prefix: ".islands-fixture-" });
  try {
    await Deno.writeTextFile(
      `${dir}/leak.ts`,
      `import { safeNext } from "../../../server/pages.ts";\nimport "node:crypto";\nexport const f = safeNext;\n`,
    );
    await Deno.writeTextFile(
      `${dir}/Island.tsx`,
      `import type { Principal } from "../../../services/auth/principal.ts";\nimport { f } from "./leak.ts";\n` +
        `export default (p: Principal) => f(p.name);\n`,
    );
    const bad = await serverOnlyModules(`${dir.slice(ROOT.pathname.length)}/Island.tsx`);
    assert.ok(bad.some((b) => b.endsWith("/leak.ts")), bad.join("\n"));
    assert.ok(bad.includes("server/pages.ts"), bad.join("\n"));
    assert.ok(bad.some((b) => b.startsWith("node:crypto")), bad.join("\n"));
    assert.ok(bad.includes("services/auth/rbac.ts"), "and what server/pages.ts imports");
    assert.ok(!bad.includes("services/auth/principal.ts"), "a type-only import is not in the bundle");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
