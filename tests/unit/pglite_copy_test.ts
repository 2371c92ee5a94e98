import assert from "node:assert/strict";
import { batches, copyFromBlob } from "../../services/adapters/pglite_copy.ts";

Deno.test("PGlite COPY: FROM STDIN becomes the blob; anything else is refused", () => {
  assert.equal(copyFromBlob("COPY t (a, b) FROM STDIN"), "COPY t (a, b) FROM '/dev/blob'");
  assert.equal(copyFromBlob("COPY t (a)\n  from   stdin  "), "COPY t (a)\n  FROM '/dev/blob'");
  assert.throws(() => copyFromBlob("COPY t TO STDOUT"), /FROM STDIN/);
});

Deno.test("PGlite COPY: the stream's pieces are batched whole, a few MB a blob", async () => {
  const piece = "x\t1\n".repeat(500_000); // 2 MB of whole rows
  async function* stream() {
    for (let i = 0; i < 9; i++) yield piece;
    yield "last\t2\n";
  }
  const out: string[][] = [];
  for await (const b of batches(stream())) out.push(b);
  assert.deepEqual(out.map((b) => b.length), [4, 4, 2], "8 MB per batch, the rest in the last");
  assert.equal(out.flat().join(""), piece.repeat(9) + "last\t2\n", "nothing split, lost or reordered");
  const none: string[][] = [];
  for await (const b of batches((async function* () {})())) none.push(b);
  assert.deepEqual(none, []);
});
