/** Every page's document title names the page, so no tab or history entry says only "OptiBid". */
import assert from "node:assert/strict";
import { pageTitle } from "../../components/page_title.ts";

/** The URL paths of every page file under routes/ (groups dropped, parameters filled with a sample). */
async function pagePaths(dir = new URL("../../routes/", import.meta.url), prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) {
      if (e.name === "api") continue;
      const segment = /^\(.*\)$/.test(e.name) ? "" : `/${e.name}`;
      out.push(...await pagePaths(new URL(`${e.name}/`, dir), prefix + segment));
    } else if (e.name.endsWith(".tsx") && !e.name.startsWith("_")) {
      const name = e.name.slice(0, -4);
      out.push(name === "index" ? prefix || "/" : `${prefix}/${name}`);
    }
  }
  return out.map((p) => p.replace(/\[zone\]/g, "PJM").replace(/\[[^\]]+\]/g, "0b7c3f6e-1d2a-4c5b-9e8f-123456789abc"));
}

Deno.test("page titles: every page under routes/ has a title of its own", async () => {
  const paths = await pagePaths();
  assert.ok(paths.length >= 30, `found ${paths.length} pages`);
  const untitled = paths.filter((p) => pageTitle(p) === "OptiBid");
  assert.deepEqual(untitled, [], `pages titled only "OptiBid": ${untitled.join(", ")}`);
  assert.equal(pageTitle("/analytics"), "Analytics · OptiBid");
  assert.equal(
    pageTitle("/admin/organizations/0b7c3f6e-1d2a-4c5b-9e8f-123456789abc"),
    "Organization · Admin · OptiBid",
  );
  assert.equal(pageTitle("/market/PJM"), "PJM Interconnection market · OptiBid");
  assert.equal(pageTitle("/nowhere", 404), "Page not found · OptiBid");
  assert.equal(pageTitle("/assets", 503), "Temporarily unavailable · OptiBid");
  assert.equal(pageTitle("/assets", 500), "Something went wrong · OptiBid");
});
