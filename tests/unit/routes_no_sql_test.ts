/**
 * Nothing in routes/ talks to the database itself: queries live with their capability under
 * services/, where they are scoped, tested and reused (a page and its API route share one).
 */
import assert from "node:assert/strict";

const routes = new URL("../../routes/", import.meta.url);

async function* sourceFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* sourceFiles(url);
    else if (/\.(ts|tsx)$/.test(entry.name)) yield url;
  }
}

/** A call on a database handle, or SQL text in a string. */
const SQL = /\.(query|unsafe)\s*[<(]|\b(SELECT\s[\s\S]*?\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/;

Deno.test("routes/ holds no SQL: every query is a service's", async () => {
  const offenders: string[] = [];
  for await (const file of sourceFiles(routes)) {
    const text = await Deno.readTextFile(file);
    const m = SQL.exec(text);
    if (m) offenders.push(`${file.pathname.slice(routes.pathname.length)}: ${m[0].slice(0, 60)}`);
  }
  assert.deepEqual(offenders, [], "move these queries into services/");
});
