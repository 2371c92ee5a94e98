import assert from "node:assert/strict";
import { generateManifest } from "../../framework/manifest.ts";

const root = new URL("../../", import.meta.url);

Deno.test("the checked-in route manifest matches routes/ and islands/ (run `deno task build` if this fails)", async () => {
  const expected = await generateManifest(root);
  const actual = await Deno.readTextFile(new URL("fresh.gen.ts", root));
  assert.equal(actual, expected, "fresh.gen.ts is stale: run `deno task build` and commit it");
});

Deno.test("the manifest generator sees a new route file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tmp = new URL(`file://${dir}/`);
    await Deno.mkdir(new URL("routes/market/", tmp), { recursive: true });
    await Deno.mkdir(new URL("islands/", tmp), { recursive: true });
    await Deno.writeTextFile(new URL("routes/index.tsx", tmp), "export default () => null;");
    const before = await generateManifest(tmp);
    await Deno.writeTextFile(new URL("routes/market/[zone].tsx", tmp), "export default () => null;");
    await Deno.writeTextFile(new URL("islands/Chart.tsx", tmp), "export default () => null;");
    const after = await generateManifest(tmp);
    assert.notEqual(before, after);
    assert.match(after, /"\.\/routes\/market\/\[zone\]\.tsx": \$1,/);
    assert.match(after, /"\.\/islands\/Chart\.tsx": \$\$0,/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
