import assert from "node:assert/strict";
import {
  approvalPolicyInput,
  approvalReason,
  approvalRefusal,
  NO_POLICY,
  notionalValue,
  totalMw,
} from "../../services/bids/approval_policy.ts";
import { canApprove, hasPermission, permissionsOf } from "../../services/auth/rbac.ts";

const hour = { market: "DA" as const, interval_start: "2026-07-01T14:00:00Z", interval_end: "2026-07-01T15:00:00Z" };
const bid = (segments: { price: number; quantity: number }[], strategy_id: string | null = null) => ({
  ...hour,
  segments,
  strategy_id,
});

Deno.test("approval policy: no policy, nothing needs approval", () => {
  assert.equal(approvalReason(NO_POLICY, bid([{ price: 9000, quantity: 9000 }], "s")), null);
});

Deno.test("approval policy: all bids", () => {
  assert.equal(
    approvalReason({ ...NO_POLICY, all_bids: true }, bid([{ price: 1, quantity: 0.1 }])),
    "every bid needs approval",
  );
});

Deno.test("approval policy: above a MW threshold counts the curve's total, strictly above", () => {
  const p = { ...NO_POLICY, above_mw: 10 };
  assert.equal(approvalReason(p, bid([{ price: 20, quantity: 6 }, { price: 30, quantity: 4 }])), null);
  assert.match(
    approvalReason(p, bid([{ price: 20, quantity: 6 }, { price: 30, quantity: 4.001 }]))!,
    /10\.001 MW is above the 10 MW/,
  );
  assert.equal(totalMw(bid([{ price: 0.1, quantity: 0.2 }, { price: 0.1, quantity: 0.1 }])), 0.30000000000000004);
  // Float noise is not "above": 0.2 + 0.1 MW against a 0.3 MW threshold.
  assert.equal(
    approvalReason({ ...NO_POLICY, above_mw: 0.3 }, bid([{ price: 1, quantity: 0.2 }, { price: 2, quantity: 0.1 }])),
    null,
  );
});

Deno.test("approval policy: above a notional value: Σ MW × |price| × hours", () => {
  const b = bid([{ price: -20, quantity: 5 }, { price: 40, quantity: 5 }]);
  assert.equal(notionalValue(b), 300);
  assert.equal(notionalValue({ ...b, interval_end: "2026-07-01T14:05:00Z" }), 25);
  assert.equal(approvalReason({ ...NO_POLICY, above_notional: 300 }, b), null);
  assert.match(
    approvalReason({ ...NO_POLICY, above_notional: 299.99 }, b)!,
    /notional value \$300\.00 is above the \$299\.99/,
  );
});

Deno.test("approval policy: bids made by a strategy", () => {
  const p = { ...NO_POLICY, strategy_bids: true };
  assert.equal(approvalReason(p, bid([{ price: 1, quantity: 1 }])), null);
  assert.equal(
    approvalReason(p, bid([{ price: 1, quantity: 1 }], "0b8a1c7e-0000-4000-8000-000000000001")),
    "made by a strategy",
  );
});

Deno.test("approval policy input: strict, thresholds as the columns store them", () => {
  const ok = {
    all_bids: false,
    above_mw: 12.5,
    above_notional: null,
    strategy_bids: true,
    strategies_may_submit: false,
  };
  assert.ok(approvalPolicyInput.safeParse(ok).success);
  assert.equal(approvalPolicyInput.safeParse({ ...ok, extra: 1 }).success, false);
  assert.equal(approvalPolicyInput.safeParse({ ...ok, above_mw: -1 }).success, false);
  assert.equal(approvalPolicyInput.safeParse({ ...ok, above_mw: 1.0001 }).success, false);
  assert.equal(approvalPolicyInput.safeParse({ ...ok, above_notional: 1e13 }).success, false);
});

Deno.test("approvers: admins by role, others by the approver grant; nobody decides on their own bid", () => {
  const me = "11111111-1111-4111-8111-111111111111";
  const other = "22222222-2222-4222-8222-222222222222";
  assert.equal(canApprove({ role: "admin" }), true);
  for (const role of ["trader", "analyst", "viewer"] as const) {
    assert.equal(canApprove({ role }), false, role);
    assert.equal(canApprove({ role, approver: true }), true, role);
    assert.equal(hasPermission({ role }, "bids:approve"), false);
    assert.equal(hasPermission({ role, approver: true }, "bids:approve"), true);
    assert.equal(permissionsOf(role).includes("bids:approve"), false);
    assert.equal(permissionsOf(role, true).includes("bids:approve"), true);
  }
  assert.equal(approvalRefusal({ userId: me, role: "trader" }, other)?.code, "not_an_approver");
  assert.equal(approvalRefusal({ userId: me, role: "admin" }, me)?.code, "own_bid");
  assert.equal(approvalRefusal({ userId: me, role: "trader", approver: true }, me)?.code, "own_bid");
  assert.equal(approvalRefusal({ userId: me, role: "admin" }, other), null);
  assert.equal(approvalRefusal({ userId: me, role: "viewer", approver: true }, other), null);
  // A bid whose maker left (created_by null) can be decided by any approver.
  assert.equal(approvalRefusal({ userId: me, role: "admin" }, null), null);
});
