import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256Hex } from "../../services/crypto/sha256.ts";

Deno.test("sha256Hex: lowercase hex of text (UTF-8) and of bytes, as node:crypto computes it", async () => {
  assert.equal(await sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  for (const text of ["abc", "ünïcödé €", "x".repeat(10_000), "line\nbreak\u0000nul"]) {
    assert.equal(await sha256Hex(text), createHash("sha256").update(text, "utf8").digest("hex"), text.slice(0, 20));
  }
  const bytes = crypto.getRandomValues(new Uint8Array(4096));
  assert.equal(await sha256Hex(bytes), createHash("sha256").update(bytes).digest("hex"));
  // A view into a larger buffer hashes only its own bytes.
  assert.equal(
    await sha256Hex(bytes.subarray(10, 20)),
    createHash("sha256").update(bytes.subarray(10, 20)).digest("hex"),
  );
});
