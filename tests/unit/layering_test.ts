/**
 * The layers hold by construction, not by review: services/ never reaches up into the HTTP layer
 * (they throw DomainError; server/errors.ts maps it). Its counterpart, routes/ writing no SQL, is
 * routes_no_sql_test.ts. See docs/ARCHITECTURE.md.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "../..");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(join(root, dir))) {
    const rel = join(dir, entry.name);
    if (entry.isDirectory) out.push(...sourceFiles(rel));
    else if (/\.(ts|tsx)$/.test(entry.name)) out.push(rel);
  }
  return out;
}

/** Relative specifiers of static, type-only and dynamic imports and re-exports. */
function importsOf(src: string): string[] {
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;
  return [...src.matchAll(re)].map((m) => m[1]);
}

const HTTP_LAYER = ["framework/", "server/", "routes/", "utils.ts", "fresh.gen.ts"];

Deno.test("nothing under services/ imports the HTTP layer (framework/, server/, routes/, utils.ts)", () => {
  const offenders: string[] = [];
  for (const file of sourceFiles("services")) {
    const src = Deno.readTextFileSync(join(root, file));
    for (const spec of importsOf(src)) {
      const target = relative(root, resolve(root, dirname(file), spec));
      if (HTTP_LAYER.some((p) => target === p || target.startsWith(p))) offenders.push(`${file} → ${target}`);
    }
  }
  assert.deepEqual(offenders, []);
});

Deno.test("the layering check sees an offending import (it would catch one)", () => {
  assert.deepEqual(importsOf(`import type { State } from "../../utils.ts";\nconst m = await import("../x.ts");`), [
    "../../utils.ts",
    "../x.ts",
  ]);
});
