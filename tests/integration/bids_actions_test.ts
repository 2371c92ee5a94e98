/**
 * The bid actions (services/bids/actions.ts) called as a route calls them: plain data in, DomainError
 * out; every change audited (actor, organization, address, before/after); the lifecycle table decides
 * what is allowed when (the clock is a dependency, so "after the gate" needs no waiting); the relay is
 * kicked after each commit and not after a refusal.
 */
import assert from "node:assert/strict";
import type { Principal } from "../../services/auth/principal.ts";
import {
  type BidDeps,
  type Caller,
  createBid,
  createBids,
  deleteDraft,
  editDraft,
  submitBid,
  withdrawBid,
} from "../../services/bids/actions.ts";
import { submissionDeadline } from "../../services/bids/schema.ts";
import { DomainError } from "../../services/errors.ts";
import { createOrg } from "../helpers/auth.ts";
import { deliveryHour, siteWithAsset } from "../helpers/bids.ts";
import { type TestApp, testApp } from "../helpers/test_app.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

async function setup(tag: string) {
  const t = await testApp();
  const org = await createOrg(t, tag);
  const { assetId } = await siteWithAsset(t, org.admin.tokens.access_token, {
    name: "Act Solar",
    kind: "solar",
    capacity_mw: 20,
  });
  const principal: Principal = {
    userId: org.admin.userId,
    orgId: org.id,
    role: "admin",
    email: org.admin.email,
    name: org.admin.name,
    via: "bearer",
  };
  const caller: Caller = { principal, ip: "203.0.113.77" };
  let kicks = 0;
  const deps = (now?: Date): BidDeps => ({
    db: t.services.db(),
    bids: { writer: t.services.bids.writer, kick: () => void kicks++ },
    now: now ? () => now : undefined,
  });
  const offer = (start = deliveryHour(), price = 20) => ({
    asset_id: assetId,
    market: "DA",
    interval_start: start,
    side: "offer",
    segments: [{ price, quantity: 5 }],
  });
  return { t, org, caller, deps, offer, kicks: () => kicks, assetId };
}

async function auditOf(t: TestApp, orgId: string) {
  return await t.services.db().query<{
    action: string;
    target_id: string;
    actor_user_id: string;
    ip: string;
    details: Record<string, unknown>;
  }>(
    `SELECT action, target_type, target_id, actor_user_id, ip, details FROM audit_logs
      WHERE org_id = $1 AND target_type = 'bid' ORDER BY id`,
    [orgId],
  );
}

/** Asserts `run` throws a DomainError of this kind and code. */
async function refused(run: () => Promise<unknown>, kind: string, code: string) {
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof DomainError, `a DomainError, not ${e}`);
    assert.equal(e.kind, kind, e.message);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

Deno.test("actions: every change is audited with actor, organization, address and before/after", opts, async () => {
  const { t, org, caller, deps, offer, kicks } = await setup("act-audit");
  // Created on the coalesced path (no key, no submit) and in a transaction (with a key).
  const a = (await createBid(deps(), caller, offer())).value;
  const b = (await createBid(deps(), caller, offer(deliveryHour(1)), {
    idempotency: { key: crypto.randomUUID(), method: "POST", path: "/test", body: 1 },
  })).value;
  const edited = (await editDraft(deps(), caller, a.id, { version: a.version, bid: offer(undefined, 25) })).value;
  const submitted = (await submitBid(deps(), caller, a.id, { version: edited.version })).value;
  await withdrawBid(deps(), caller, a.id, { version: submitted.version });
  await deleteDraft(deps(), caller, b.id);
  assert.equal(kicks(), 6, "the relay is kicked after every commit");

  const rows = await auditOf(t, org.id);
  assert.deepEqual(rows.map((r) => [r.action, r.target_id]), [
    ["bid.created", a.id],
    ["bid.created", b.id],
    ["bid.edited", a.id],
    ["bid.submitted", a.id],
    ["bid.withdrawn", a.id],
    ["bid.deleted", b.id],
  ]);
  for (const r of rows) {
    assert.equal(r.actor_user_id, org.admin.userId);
    assert.equal(r.ip, "203.0.113.77");
  }
  const [created, , edit, , withdrawn, deleted] = rows.map((r) => r.details);
  assert.deepEqual((created.after as { segments: unknown }).segments, [{ price: 20, quantity: 5 }]);
  assert.equal((created.after as { zone: string }).zone, "PJM", "the zone the asset fixed");
  assert.deepEqual((edit.before as { segments: unknown }).segments, [{ price: 20, quantity: 5 }]);
  assert.deepEqual((edit.after as { segments: unknown }).segments, [{ price: 25, quantity: 5 }]);
  assert.equal(withdrawn.from, "submitted");
  assert.equal((deleted.before as { interval_start: string }).interval_start, b.interval_start);

  // A refusal changes nothing, audits nothing and kicks nothing.
  await refused(() => submitBid(deps(), caller, a.id), "conflict", "invalid_transition");
  await refused(() => submitBid(deps(), caller, crypto.randomUUID()), "not_found", "not_found");
  assert.equal((await auditOf(t, org.id)).length, 6);
  assert.equal(kicks(), 6);
});

Deno.test(
  "actions: the lifecycle table decides — a draft is withdrawn after its gate, nothing else",
  opts,
  async () => {
    const { caller, deps, offer } = await setup("act-gate");
    const start = deliveryHour();
    const draft = (await createBid(deps(), caller, offer(start))).value;
    const live = (await createBid(deps(), caller, offer(start, 30), { submit: true })).value;
    assert.equal(live.status, "submitted");
    const gate = submissionDeadline("PJM", "DA", start);
    const after = deps(new Date(gate.getTime()));
    const before = deps(new Date(gate.getTime() - 1000));

    // At the gate: the market no longer takes the draft, nor lets the submitted bid go.
    await refused(() => submitBid(after, caller, draft.id), "conflict", "gate_closed");
    await refused(() => withdrawBid(after, caller, live.id), "conflict", "gate_closed");
    // A draft never reached the market: it can still be closed out, keeping its history.
    const out = (await withdrawBid(after, caller, draft.id)).value;
    assert.equal(out.status, "withdrawn");
    // One second before the gate the submitted bid could go.
    assert.equal((await withdrawBid(before, caller, live.id)).value.status, "withdrawn");
    // Final: nothing more.
    await refused(() => deleteDraft(deps(), caller, draft.id), "conflict", "invalid_transition");
    await refused(
      () => editDraft(deps(), caller, live.id, { version: live.version, bid: offer(start) }),
      "conflict",
      "invalid_transition",
    );
  },
);

Deno.test("actions: a version read before a change is a 409; an idempotent retry is the same bytes", opts, async () => {
  const { caller, deps, offer } = await setup("act-version");
  const draft = (await createBid(deps(), caller, offer())).value;
  await editDraft(deps(), caller, draft.id, { version: draft.version, bid: offer(undefined, 21) });
  await refused(() => submitBid(deps(), caller, draft.id, { version: draft.version }), "conflict", "version_conflict");
  await refused(
    () => editDraft(deps(), caller, draft.id, { version: draft.version, bid: offer() }),
    "conflict",
    "version_conflict",
  );

  const idempotency = { key: crypto.randomUUID(), method: "POST", path: "/submit", body: { id: draft.id } };
  const first = await submitBid(deps(), caller, draft.id, {}, { idempotency });
  const again = await submitBid(deps(), caller, draft.id, {}, { idempotency });
  assert.equal(first.replayed, false);
  assert.equal(again.replayed, true);
  assert.equal(again.json, first.json);
  assert.deepEqual(again.value, first.value);
  await refused(
    () => submitBid(deps(), caller, draft.id, {}, { idempotency: { ...idempotency, body: { other: 1 } } }),
    "unprocessable",
    "idempotency_key_reused",
  );
});

Deno.test("actions: a batch names each invalid item's fields (bids.N.…) and creates nothing", opts, async () => {
  const { t, org, caller, deps, offer } = await setup("act-batch");
  await assert.rejects(
    () =>
      createBids(deps(), caller, {
        bids: [offer(deliveryHour(0)), { ...offer(deliveryHour(1)), zone: "ERCOT" }, {
          ...offer(deliveryHour(2)),
          asset_id: crypto.randomUUID(),
        }],
      }),
    (e: unknown) => {
      assert.ok(e instanceof DomainError && e.kind === "invalid" && e.code === "validation_failed");
      const details = e.options.details as { index: number; path: string; code: string }[];
      assert.deepEqual(details.map((d) => [d.index, d.path, d.code]), [
        [1, "bids.1.zone", "zone_mismatch"],
        [2, "bids.2.asset_id", "not_found"],
      ]);
      return true;
    },
  );
  const [{ n }] = await t.services.db().query<{ n: number }>(
    `SELECT count(*)::int AS n FROM bids WHERE org_id = $1`,
    [org.id],
  );
  assert.equal(n, 0);
  const ok = await createBids(deps(), caller, { bids: [offer(deliveryHour(0)), offer(deliveryHour(1))], submit: true });
  assert.deepEqual(ok.value.items.map((b) => b.status), ["submitted", "submitted"]);
  await refused(() => createBids(deps(), caller, { bids: [] }), "invalid", "validation_failed");
});
