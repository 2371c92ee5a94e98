/**
 * Four-eyes approval through the running app: the organization's policy (all, MW, notional value,
 * strategy), draft → pending_approval → submitted or rejected with a reason, nobody approving their own bid,
 * roles and the approver grant, expiry at the gate, the audit log and the bid's history, the queue and its
 * count in the navigation, and another organization's bids out of reach.
 */
import assert from "node:assert/strict";
import { addMember, call, createOrg, expectError, expectStatus, type Member, opts } from "../helpers/auth.ts";
import { bidPage, deliveryHour, siteWithAsset } from "../helpers/bids.ts";
import { testApp } from "../helpers/test_app.ts";
import { expirePending } from "../../services/bids/approval.ts";
import { submissionDeadline } from "../../services/bids/schema.ts";
import type { ApprovalPolicy } from "../../services/bids/approval_policy.ts";

const offer = (asset: string, mw = 5, price = 30, start = deliveryHour()) => ({
  asset_id: asset,
  market: "DA",
  interval_start: start,
  side: "offer",
  segments: [{ price, quantity: mw }],
});

const POLICY: ApprovalPolicy = {
  all_bids: false,
  above_mw: null,
  above_notional: null,
  strategy_bids: false,
  strategies_may_submit: true,
};

async function setup(tag: string) {
  const t = await testApp();
  const org = await createOrg(t, tag);
  const trader = await addMember(t, org, "trader", `${tag}-trader`);
  const viewer = await addMember(t, org, "viewer", `${tag}-viewer`);
  const { assetId } = await siteWithAsset(t, trader.tokens.access_token, {
    name: "PV",
    kind: "solar",
    capacity_mw: 50,
  });
  const as = (m: Member) => (method: string, path: string, body?: unknown) =>
    call(t, method, path, { token: m.tokens.access_token, body, ip: m.ip });
  const policy = async (p: Partial<typeof POLICY>) => {
    const r = await as(org.admin)("PUT", "/api/approvals/policy", { ...POLICY, ...p });
    expectStatus(r, 200, "policy");
    return r.body;
  };
  /** A bid made and submitted by `m`; its answer. */
  const submit = async (m: Member, bid = offer(assetId)) => {
    const created = await as(m)("POST", "/api/bids", bid);
    expectStatus(created, 201, "create");
    return await as(m)("POST", `/api/bids/${created.body.id}/submit`);
  };
  return { t, org, trader, viewer, assetId, as, policy, submit };
}

Deno.test(
  "approval: without a policy a submit goes to the market; with `all` it waits, and the maker cannot approve it",
  opts,
  async () => {
    const { t, org, trader, as, policy, submit } = await setup("appr-all");
    expectStatus(await submit(trader), 200);
    assert.equal((await submit(trader)).body.status, "submitted");

    await policy({ all_bids: true });
    const pending = await submit(trader);
    expectStatus(pending, 200);
    assert.equal(pending.body.status, "pending_approval");
    assert.equal(pending.body.created_by, trader.userId);
    assert.equal(pending.body.submitted_at, null);

    // The trader is no approver; an admin who made a bid may not approve it either.
    expectError(await as(trader)("POST", `/api/bids/${pending.body.id}/approve`), 403, "forbidden");
    const own = await submit(org.admin);
    assert.equal(own.body.status, "pending_approval");
    expectError(await as(org.admin)("POST", `/api/bids/${own.body.id}/approve`), 403, "own_bid");
    expectError(await as(org.admin)("POST", `/api/bids/${own.body.id}/reject`, { reason: "mine" }), 403, "own_bid");

    const approved = await as(org.admin)("POST", `/api/bids/${pending.body.id}/approve`, {
      version: pending.body.version,
    });
    expectStatus(approved, 200);
    assert.equal(approved.body.status, "submitted");
    assert.ok(approved.body.submitted_at);
    // Approved once: a second approval is a conflict with its state.
    expectError(await as(org.admin)("POST", `/api/bids/${pending.body.id}/approve`), 409, "invalid_transition");

    const history = await as(trader)("GET", `/api/bids/${pending.body.id}`);
    assert.deepEqual(
      history.body.history.map((h: { from: string; to: string }) => `${h.from}→${h.to}`),
      ["null→draft", "draft→pending_approval", "pending_approval→submitted"],
    );
    assert.equal(history.body.history[1].details.reason, "every bid needs approval");
    assert.equal(history.body.history[2].actor_email, org.admin.email);
    // The history's trigger publishes each change, and the approval asked for and given (db/migrations/023).
    const events = await t.services.db().query<{ type: string; to: string | null; decision: string | null }>(
      `SELECT payload->>'type' AS type, payload->'data'->>'to' AS to, payload->'data'->>'decision' AS decision
         FROM outbox WHERE topic = 'events' AND payload->'data'->>'bid_id' = $1 ORDER BY id`,
      [pending.body.id],
    );
    assert.deepEqual(events.map((e) => `${e.type}:${e.to ?? e.decision}`), [
      "bid.status_changed:draft",
      "bid.status_changed:pending_approval",
      "approval.requested:null",
      "bid.status_changed:submitted",
      "approval.decided:approved",
    ]);

    const audit = await as(org.admin)("GET", "/api/admin/audit-logs?action=bid.*&limit=200");
    const actions = (audit.body.items ?? []).filter((e: { target_id: string }) => e.target_id === pending.body.id)
      .map((e: { action: string }) => e.action);
    assert.ok(actions.includes("bid.approval_requested") && actions.includes("bid.approved"), actions.join(","));
  },
);

Deno.test(
  "events: one history statement of many rows publishes its status events in history order, then its approvals",
  opts,
  async () => {
    const { t, org, trader, as, assetId } = await setup("appr-stmt");
    const ids: string[] = [];
    for (let h = 0; h < 4; h++) {
      const created = await as(trader)("POST", "/api/bids", offer(assetId, 5, 30, deliveryHour(h)));
      expectStatus(created, 201, "create");
      ids.push(created.body.id);
    }
    const db = t.services.db();
    const [{ last }] = await db.query<{ last: string }>(`SELECT coalesce(max(id), 0)::text AS last FROM outbox`);
    // Rows of every kind the trigger tells apart, written by one statement: a repeated status (no event), a
    // clearing and a settlement (their own types), a request for approval and its decision.
    await db.query(
      `INSERT INTO bid_events (bid_id, org_id, from_status, to_status, actor_user_id, details)
       SELECT bid_id::uuid, $1, from_status, to_status, $2, details::jsonb
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS t(bid_id, from_status, to_status, details)`,
      [
        org.id,
        trader.userId,
        [ids[0], ids[1], ids[2], ids[3], ids[0], ids[3]],
        [
          "draft",
          "submitted",
          "cleared",
          "draft",
          "draft",
          "pending_approval",
        ],
        ["draft", "cleared", "settled", "pending_approval", "submitted", "rejected"],
        [
          "{}",
          "{}",
          "{}",
          '{"reason":"needs a second look"}',
          "{}",
          '{"reason":"too large"}',
        ],
      ],
    );
    const events = await db.query<
      { type: string; bid: string; data: Record<string, unknown>; payload: Record<string, unknown> }
    >(
      `SELECT payload->>'type' AS type, payload->'data'->>'bid_id' AS bid, payload->'data' AS data, payload
         FROM outbox WHERE topic = 'events' AND id > $1::bigint ORDER BY id`,
      [last],
    );
    assert.deepEqual(events.map((e) => `${e.type} ${ids.indexOf(e.bid)} ${e.data.to ?? e.data.decision}`), [
      "bid.cleared 1 cleared",
      "bid.settled 2 settled",
      "bid.status_changed 3 pending_approval",
      "bid.status_changed 0 submitted",
      "bid.status_changed 3 rejected",
      "approval.requested 3 undefined",
      "approval.decided 3 rejected",
    ]);
    assert.equal(events[2].data.from, "draft");
    assert.deepEqual(events[2].data.details, { reason: "needs a second look" });
    assert.equal(events[6].data.reason, "too large");
    // Every event in the one envelope (event_envelope, db/migrations/026), each with an id of its own.
    for (const e of events) {
      assert.deepEqual(Object.keys(e.payload).sort(), ["at", "data", "id", "org_id", "type"]);
      assert.equal(e.payload.org_id, org.id);
      assert.match(String(e.payload.at), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.match(String(e.payload.id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    assert.equal(new Set(events.map((e) => e.payload.id)).size, events.length);
  },
);

Deno.test("approval: thresholds on MW and notional value; a batch routes each bid by the rule", opts, async () => {
  const { trader, assetId, as, policy, submit } = await setup("appr-thr");
  await policy({ above_mw: 10 });
  assert.equal((await submit(trader, offer(assetId, 10))).body.status, "submitted");
  const big = await submit(trader, offer(assetId, 10.5, 30, deliveryHour(1)));
  assert.equal(big.body.status, "pending_approval");

  await policy({ above_notional: 600 });
  // 20 MW × $30 × 1 h = $600: not above.
  assert.equal((await submit(trader, offer(assetId, 20, 30, deliveryHour(2)))).body.status, "submitted");
  assert.equal((await submit(trader, offer(assetId, 20, 30.01, deliveryHour(3)))).body.status, "pending_approval");

  const batch = await as(trader)("POST", "/api/bids/batch", {
    submit: true,
    bids: [offer(assetId, 1, 30, deliveryHour(4)), offer(assetId, 30, 30, deliveryHour(5))],
  });
  expectStatus(batch, 201, "batch");
  assert.deepEqual(batch.body.items.map((b: { status: string }) => b.status), ["submitted", "pending_approval"]);
});

Deno.test(
  "approval: rejected with a reason; bad bodies are 400; withdrawn by its maker while pending",
  opts,
  async () => {
    const { org, trader, as, policy, submit } = await setup("appr-rej");
    await policy({ all_bids: true });
    const a = (await submit(trader)).body;
    expectError(await as(org.admin)("POST", `/api/bids/${a.id}/reject`, {}), 400, "validation_failed");
    expectError(await as(org.admin)("POST", `/api/bids/${a.id}/reject`, { reason: "  " }), 400, "validation_failed");
    expectError(
      await as(org.admin)("POST", `/api/bids/${a.id}/reject`, { reason: "x", extra: 1 }),
      400,
      "validation_failed",
    );
    const rejected = await as(org.admin)("POST", `/api/bids/${a.id}/reject`, { reason: "Price too low for HE16" });
    expectStatus(rejected, 200);
    assert.equal(rejected.body.status, "rejected");
    assert.equal(rejected.body.reject_reason, "Price too low for HE16");
    const h = await as(trader)("GET", `/api/bids/${a.id}`);
    assert.equal(h.body.history.at(-1).details.reason, "Price too low for HE16");

    const b = (await submit(trader)).body;
    const withdrawn = await as(trader)("POST", `/api/bids/${b.id}/withdraw`);
    expectStatus(withdrawn, 200);
    assert.equal(withdrawn.body.status, "withdrawn");
    expectError(await as(org.admin)("POST", `/api/bids/${b.id}/approve`), 409, "invalid_transition");
  },
);

Deno.test(
  "approval: approvers are admins and members granted `approver`; viewers and traders are not",
  opts,
  async () => {
    const { t, org, trader, viewer, as, policy, submit } = await setup("appr-roles");
    await policy({ all_bids: true });
    const pending = (await submit(trader)).body;
    expectError(await as(viewer)("POST", `/api/bids/${pending.id}/approve`), 403, "forbidden");
    expectError(await as(viewer)("GET", "/api/approvals"), 403, "forbidden");
    expectError(await as(trader)("PUT", "/api/approvals/policy", POLICY), 403, "forbidden");

    // An admin makes the viewer an approver (a risk officer, say): the queue and the decision open up.
    const grant = await as(org.admin)("PUT", `/api/users/${viewer.userId}`, { approver: true });
    expectStatus(grant, 200);
    assert.equal(grant.body.approver, true);
    const me = await as(viewer)("GET", "/api/auth/me");
    assert.ok(me.body.permissions.includes("bids:approve"), JSON.stringify(me.body.permissions));
    const queue = await as(viewer)("GET", "/api/approvals");
    expectStatus(queue, 200);
    assert.deepEqual(queue.body.items.map((b: { id: string }) => b.id), [pending.id]);
    // The approver's own bid never shows in their queue (a granted trader's, here).
    await as(org.admin)("PUT", `/api/users/${trader.userId}`, { approver: true });
    const traderQueue = await as(trader)("GET", "/api/approvals");
    assert.deepEqual(traderQueue.body.items, []);
    expectError(await as(trader)("POST", `/api/bids/${pending.id}/approve`), 403, "own_bid");

    const ok = await as(viewer)("POST", `/api/bids/${pending.id}/approve`);
    expectStatus(ok, 200);
    assert.equal(ok.body.status, "submitted");

    // Revoked: no longer an approver, at once.
    await as(org.admin)("PUT", `/api/users/${viewer.userId}`, { approver: false });
    expectError(await as(viewer)("GET", "/api/approvals"), 403, "forbidden");
    const audit = await call(t, "GET", "/api/admin/audit-logs?action=member.approver_granted", {
      token: org.admin.tokens.access_token,
      ip: org.admin.ip,
    });
    assert.equal(audit.body.items.length, 2);
  },
);

Deno.test("approval: a bid still pending at its gate expires, with a clear status and reason", opts, async () => {
  const { t, org, trader, as, policy, submit } = await setup("appr-exp");
  await policy({ all_bids: true });
  const pending = (await submit(trader)).body;
  const gate = submissionDeadline("PJM", "DA", pending.interval_start);
  const db = t.services.db();
  // Before the gate nothing expires; at it, the bid does (once, however often the job runs).
  assert.deepEqual((await expirePending(db, new Date(gate.getTime() - 1))).includes(pending.id), false);
  assert.deepEqual(await expirePending(db, gate).then((ids) => ids.includes(pending.id)), true);
  assert.deepEqual((await expirePending(db, gate)).includes(pending.id), false);
  const after = await as(trader)("GET", `/api/bids/${pending.id}`);
  assert.equal(after.body.status, "expired");
  const last = after.body.history.at(-1);
  assert.equal(last.actor_system, "approval");
  assert.match(last.details.reason, /still waiting for approval at the market's deadline/);
  expectError(await as(org.admin)("POST", `/api/bids/${pending.id}/approve`), 409, "invalid_transition");
  const [event] = await db.query<{ payload: { decision: string } }>(
    `SELECT payload FROM outbox WHERE key = $1 AND payload->>'type' = 'bid.approval' ORDER BY id DESC LIMIT 1`,
    [pending.id],
  );
  assert.equal(event.payload.decision, "expired");
});

Deno.test("approval: another organization's pending bid is not found", opts, async () => {
  const { trader, policy, submit } = await setup("appr-ten");
  await policy({ all_bids: true });
  const pending = (await submit(trader)).body;
  const t = await testApp();
  const other = await createOrg(t, "appr-ten-other");
  const as = (path: string, body?: unknown) =>
    call(t, "POST", path, { token: other.admin.tokens.access_token, body, ip: other.admin.ip });
  expectError(await as(`/api/bids/${pending.id}/approve`), 404, "not_found");
  expectError(await as(`/api/bids/${pending.id}/reject`, { reason: "no" }), 404, "not_found");
  const q = await call(t, "GET", "/api/approvals", { token: other.admin.tokens.access_token, ip: other.admin.ip });
  assert.deepEqual(q.body.items, []);
});

Deno.test(
  "approval pages: the queue with its count in the navigation; approve and reject by form; policy form",
  opts,
  async () => {
    const { t, org, trader, as, policy, submit } = await setup("appr-page");
    await policy({ all_bids: true });
    const a = (await submit(trader)).body;
    const b = (await submit(trader)).body;
    const admin = org.admin.tokens.access_token;
    const queue = await bidPage(t, admin, "/approvals");
    assert.equal(queue.status, 200);
    assert.match(queue.html, /data-testid="approvals-count"[^>]*>2</);
    assert.equal([...queue.html.matchAll(/data-testid="pending-bid"/g)].length, 2);
    // The trader is no approver: no Approvals link, and the page is refused.
    const traderPage = await bidPage(t, trader.tokens.access_token, "/bidding");
    assert.doesNotMatch(traderPage.html, /href="\/approvals"/);
    assert.equal((await bidPage(t, trader.tokens.access_token, "/approvals")).status, 403);

    const approve = await bidPage(t, admin, "/approvals", { _action: "approve", id: a.id, version: String(a.version) });
    assert.equal(approve.status, 303);
    const noReason = await bidPage(t, admin, "/approvals", { _action: "reject", id: b.id, reason: "" });
    assert.equal(noReason.status, 400);
    assert.match(noReason.html, /Give a reason/);
    const reject = await bidPage(t, admin, "/approvals", { _action: "reject", id: b.id, reason: "Too much" });
    assert.equal(reject.status, 303);
    assert.equal((await as(trader)("GET", `/api/bids/${a.id}`)).body.status, "submitted");
    assert.equal((await as(trader)("GET", `/api/bids/${b.id}`)).body.reject_reason, "Too much");
    const empty = await bidPage(t, admin, "/approvals");
    assert.doesNotMatch(empty.html, /data-testid="approvals-count"/);
    assert.match(empty.html, /Nothing waits for your approval/);

    const saved = await bidPage(t, admin, "/approvals", {
      _action: "policy",
      above_mw: "12.5",
      strategies_may_submit: "on",
    });
    assert.equal(saved.status, 303);
    const p = await as(trader)("GET", "/api/approvals/policy");
    assert.deepEqual({ ...p.body, updated_at: null }, { ...POLICY, above_mw: 12.5, updated_at: null });
    const bad = await bidPage(t, admin, "/approvals", { _action: "policy", above_mw: "-3" });
    assert.equal(bad.status, 400);

    // The bid's page tells its maker it waits for approval, and shows the rejection's reason in its history.
    const detail = await bidPage(t, trader.tokens.access_token, `/bidding/${b.id}`);
    assert.match(detail.html, /rejected by the approver: Too much/);
  },
);
