import assert from "node:assert/strict";
import {
  ACTION_RESULT,
  ACTIONS,
  allowedActions,
  allows,
  assertAllowed,
  BID_ACTIONS,
  BidTransitionError,
  canTransition,
  isFinal,
  TRANSITIONS,
} from "../../services/bids/lifecycle.ts";
import { BID_STATUSES, type BidStatus } from "../../services/bids/schema.ts";
import { DomainError } from "../../services/errors.ts";

/**
 * The spec: draft → submitted → (rejected | cleared) → settled, plus withdrawn from draft or submitted; with
 * four-eyes approval draft → pending_approval → (submitted | rejected | withdrawn | expired).
 */
const ALLOWED = new Set([
  "draft→pending_approval",
  "pending_approval→submitted",
  "pending_approval→rejected",
  "pending_approval→withdrawn",
  "pending_approval→expired",
  "draft→submitted",
  "draft→withdrawn",
  "submitted→rejected",
  "submitted→cleared",
  "submitted→withdrawn",
  "cleared→settled",
]);

Deno.test("lifecycle: exactly the transitions of the spec, for every pair of statuses", () => {
  assert.deepEqual(Object.keys(TRANSITIONS).sort(), [...BID_STATUSES].sort());
  for (const from of BID_STATUSES) {
    for (const to of BID_STATUSES) assert.equal(canTransition(from, to), ALLOWED.has(`${from}→${to}`), `${from}→${to}`);
  }
  assert.equal(canTransition("draft", "nonsense" as BidStatus), false);
  assert.equal(canTransition("nonsense" as BidStatus, "draft"), false);
  assert.ok(Object.isFrozen(TRANSITIONS) && Object.isFrozen(TRANSITIONS.draft));
  assert.deepEqual(BID_STATUSES.filter(isFinal), ["rejected", "settled", "withdrawn", "expired"]);
});

Deno.test("lifecycle: every user action the table allows is a transition the status graph allows", () => {
  assert.deepEqual(Object.keys(ACTIONS).sort(), [...BID_STATUSES].sort());
  for (const status of BID_STATUSES) {
    for (const action of Object.keys(ACTIONS[status]) as (keyof typeof ACTION_RESULT)[]) {
      const to = ACTION_RESULT[action];
      assert.ok(to === null || to === status || canTransition(status, to), `${status} —${action}→ ${to}`);
    }
  }
  assert.ok(Object.isFrozen(ACTIONS) && Object.isFrozen(ACTIONS.draft));
});

// PJM DA for 2025-07-01 14:00Z: the gate is 2025-06-30 10:30 EDT = 14:30Z.
const da = { zone: "PJM" as const, market: "DA" as const, interval_start: "2025-07-01T14:00:00Z" };
const GATE = Date.parse("2025-06-30T14:30:00Z");
const before = new Date(GATE - 1000);
const at = new Date(GATE);

Deno.test("lifecycle: only drafts are edited or deleted, at any time", () => {
  for (const status of BID_STATUSES) {
    for (const action of ["edit", "delete"] as const) {
      assert.equal(allows({ ...da, status }, action, before), status === "draft", `${status} ${action}`);
      assert.equal(allows({ ...da, status }, action, new Date(GATE + 86_400_000)), status === "draft");
    }
  }
});

Deno.test("lifecycle: a draft is submitted only while its market is open", () => {
  assertAllowed({ ...da, status: "draft" }, "submit", before);
  assert.throws(
    () => assertAllowed({ ...da, status: "draft" }, "submit", at),
    (e: unknown) =>
      e instanceof BidTransitionError && e instanceof DomainError && e.kind === "conflict" &&
      e.code === "gate_closed" && /closed .* at 2025-06-30T14:30/.test(e.message),
  );
  assert.throws(() => assertAllowed({ ...da, status: "submitted" }, "submit", before), {
    code: "invalid_transition",
    message: "A submitted bid cannot be submitted; it can be withdrawn",
  });
});

Deno.test("lifecycle: a submitted bid is withdrawn only while its market is open; a draft at any time", () => {
  assertAllowed({ ...da, status: "submitted" }, "withdraw", before);
  assert.throws(() => assertAllowed({ ...da, status: "submitted" }, "withdraw", at), { code: "gate_closed" });
  // The rule: a draft never reached the market, so its gate does not bind it.
  assertAllowed({ ...da, status: "draft" }, "withdraw", at);
  assertAllowed({ ...da, status: "draft" }, "withdraw", new Date(GATE + 86_400_000));
  // RT for 14:55 EDT (18:55Z): PJM closes 65 min before the hour, at 16:55Z. A Date start works too.
  const rt = { zone: "PJM" as const, market: "RT" as const, interval_start: new Date("2025-07-01T18:55:00Z") };
  assertAllowed({ ...rt, status: "submitted" }, "withdraw", new Date("2025-07-01T16:54:59Z"));
  assert.throws(() => assertAllowed({ ...rt, status: "submitted" }, "withdraw", new Date("2025-07-01T16:55:00Z")), {
    code: "gate_closed",
  });
  // Cleared or final bids: the table answers first, whatever the time.
  for (const status of ["cleared", "rejected", "settled", "withdrawn"] as const) {
    assert.throws(() => assertAllowed({ ...da, status }, "withdraw", new Date(0)), { code: "invalid_transition" });
  }
  assert.throws(() => assertAllowed({ ...da, status: "settled" }, "withdraw", new Date(0)), {
    message: "A settled bid cannot be withdrawn",
  });
});

Deno.test("lifecycle: allowedActions lists what the table allows now, in order", () => {
  assert.deepEqual(allowedActions({ ...da, status: "draft" }, before), ["edit", "submit", "withdraw", "delete"]);
  assert.deepEqual(allowedActions({ ...da, status: "draft" }, at), ["edit", "withdraw", "delete"]);
  assert.deepEqual(allowedActions({ ...da, status: "submitted" }, before), ["withdraw"]);
  assert.deepEqual(allowedActions({ ...da, status: "submitted" }, at), []);
  for (const status of ["cleared", "rejected", "settled", "withdrawn", "expired"] as const) {
    assert.deepEqual(allowedActions({ ...da, status }, before), []);
  }
  assert.deepEqual([...BID_ACTIONS], ["edit", "submit", "withdraw", "delete", "approve", "reject"]);
});

Deno.test("lifecycle: a pending bid is approved only while its market is open; rejected or withdrawn any time", () => {
  const pending = { ...da, status: "pending_approval" as const };
  assert.deepEqual(allowedActions(pending, before), ["withdraw", "approve", "reject"]);
  assert.deepEqual(allowedActions(pending, at), ["withdraw", "reject"]);
  assert.throws(() => assertAllowed(pending, "approve", at), (e: unknown) => {
    assert.ok(e instanceof BidTransitionError);
    assert.equal(e.options.code, "gate_closed");
    return true;
  });
  assert.throws(() => assertAllowed(pending, "edit", before), /A pending_approval bid cannot be edited/);
  for (const status of BID_STATUSES.filter((s) => s !== "pending_approval")) {
    assert.equal(allows({ ...da, status }, "approve", before), false, status);
    assert.equal(allows({ ...da, status }, "reject", before), false, status);
  }
});
