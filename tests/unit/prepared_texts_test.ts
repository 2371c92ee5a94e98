import assert from "node:assert/strict";
import { preparedTexts } from "../../services/adapters/prepared_texts.ts";

Deno.test("preparedTexts: statements with parameters are prepared, up to the limit of distinct texts", () => {
  const prepare = preparedTexts(2);
  assert.equal(prepare("SELECT 1", []), false, "no parameters: the simple protocol, nothing to prepare");
  assert.equal(prepare("SELECT $1", [1]), true);
  assert.equal(prepare("SELECT $1, $2", [1, 2]), true);
  assert.equal(prepare("SELECT $1, $2, $3", [1, 2, 3]), false, "a third distinct text is past the limit");
  assert.equal(prepare("SELECT $1", [7]), true, "a text prepared before stays prepared");
  assert.equal(prepare("SELECT $1, $2, $3", [1, 2, 3]), false, "and one refused stays unnamed");
});
