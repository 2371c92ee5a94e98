/** Which failed ClickHouse reads say the server is down (the registry is told) and which are its own answers. */
import assert from "node:assert/strict";
import { ClickHouseError } from "@clickhouse/client-web";
import { isClickhouseOutage } from "../../services/adapters/clickhouse.ts";

Deno.test("isClickhouseOutage: timeouts and network errors are outages; the server's own errors are not", () => {
  // What the client throws when nothing answers in time, and what fetch throws for a refused connection.
  assert.equal(isClickhouseOutage(new Error("Timeout error.")), true);
  assert.equal(isClickhouseOutage(new TypeError("error sending request: connection refused")), true);
  assert.equal(isClickhouseOutage(new DOMException("The signal has been aborted", "AbortError")), true);
  assert.equal(isClickhouseOutage(undefined), true);
  // A ClickHouseError is an answer: the server is there.
  const syntax = new ClickHouseError({ message: "Syntax error", code: "62", type: "SYNTAX_ERROR" });
  assert.equal(isClickhouseOutage(syntax), false);
  assert.equal(isClickhouseOutage({ code: "ECONNREFUSED", type: "system" }), true, "not a server code");
});
