import assert from "node:assert/strict";
import fc from "fast-check";
import { accessLog, setLogSink } from "../../services/log/logger.ts";

Deno.test("an access line is the JSON of its fields, whatever the path, id and method hold", () => {
  const lines: string[] = [];
  const restore = setLogSink((l) => lines.push(l));
  try {
    const text = fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom("/market/PJM", "abc-123=", "GET", '/a"b\\c'));
    fc.assert(fc.property(
      text,
      text,
      text,
      fc.integer({ min: 100, max: 599 }),
      fc.double({ min: 0, max: 1e6, noNaN: true }),
      (requestId, method, path, status, rawMs) => {
        const ms = Math.round(rawMs * 10) / 10;
        lines.length = 0;
        accessLog({ requestId, method, path, status, ms });
        assert.equal(lines.length, 1);
        const parsed = JSON.parse(lines[0]);
        assert.match(parsed.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.deepEqual(parsed, {
          time: parsed.time,
          level: "info",
          msg: "request",
          requestId,
          method,
          path,
          status,
          ms,
        });
      },
    ));
  } finally {
    restore();
  }
});
