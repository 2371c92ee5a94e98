import assert from "node:assert/strict";
import {
  assertTransition,
  assertWithdrawable,
  BidTransitionError,
  canTransition,
  isEditable,
  isFinal,
  TRANSITIONS,
} from "../../services/bids/lifecycle.ts";
import { BID_STATUSES, type BidStatus } from "../../services/bids/schema.ts";

/** The spec: draft → submitted → (rejected | cleared) → settled, plus withdrawn from draft or submitted. */
const ALLOWED = new Set([
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
    for (const to of BID_STATUSES) {
      const want = ALLOWED.has(`${from}→${to}`);
      assert.equal(canTransition(from, to), want, `${from}→${to}`);
      if (want) {
        assertTransition(from, to);
      } else {
        assert.throws(
          () => assertTransition(from, to),
          (e: unknown) =>
            e instanceof BidTransitionError && e.code === "invalid_transition" && e.from === from && e.to === to &&
            e.message.startsWith(`a ${from} bid cannot become ${to}`),
          `${from}→${to}`,
        );
      }
    }
  }
  assert.equal(canTransition("draft", "nonsense" as BidStatus), false);
  assert.equal(canTransition("nonsense" as BidStatus, "draft"), false);
  assert.ok(Object.isFrozen(TRANSITIONS) && Object.isFrozen(TRANSITIONS.draft));
});

Deno.test("lifecycle: messages say what is possible; final statuses say so", () => {
  assert.throws(() => assertTransition("draft", "cleared"), {
    message: "a draft bid cannot become cleared; it can become submitted or withdrawn",
  });
  assert.throws(() => assertTransition("settled", "withdrawn"), {
    message: "a settled bid cannot become withdrawn; settled is a final status",
  });
  assert.deepEqual(BID_STATUSES.filter(isFinal), ["rejected", "settled", "withdrawn"]);
});

Deno.test("lifecycle: only drafts are editable", () => {
  assert.deepEqual(BID_STATUSES.filter(isEditable), ["draft"]);
});

Deno.test("lifecycle: a submitted bid is withdrawable only before its market closes; a draft always", () => {
  // PJM DA for 2025-07-01 14:00Z: the gate is 2025-06-30 10:30 EDT = 14:30Z.
  const da = { zone: "PJM" as const, market: "DA" as const, interval_start: "2025-07-01T14:00:00Z" };
  const gate = Date.parse("2025-06-30T14:30:00Z");
  assertWithdrawable({ ...da, status: "submitted" }, new Date(gate - 1000));
  assert.throws(
    () => assertWithdrawable({ ...da, status: "submitted" }, new Date(gate)),
    (e: unknown) =>
      e instanceof BidTransitionError && e.code === "gate_closed" && /closed .* at 2025-06-30T14:30/.test(e.message),
  );
  assertWithdrawable({ ...da, status: "draft" }, new Date(gate + 86_400_000));
  // RT for 14:55 EDT (18:55Z): PJM closes 65 min before the hour, at 16:55Z. A Date start works too.
  const rt = { zone: "PJM" as const, market: "RT" as const, interval_start: new Date("2025-07-01T18:55:00Z") };
  assertWithdrawable({ ...rt, status: "submitted" }, new Date("2025-07-01T16:54:59Z"));
  assert.throws(() => assertWithdrawable({ ...rt, status: "submitted" }, new Date("2025-07-01T16:55:00Z")), {
    code: "gate_closed",
  });
  // Cleared or final bids: the status table answers first, whatever the time.
  for (const status of ["cleared", "rejected", "settled", "withdrawn"] as const) {
    assert.throws(() => assertWithdrawable({ ...da, status }, new Date(0)), { code: "invalid_transition" });
  }
});
