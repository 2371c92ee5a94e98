/**
 * What a user does with bids, in one place: create (one or a batch), edit a draft, submit, withdraw,
 * delete a draft. Each action owns its transaction, its validation (services/bids/validation.ts), the
 * lifecycle rule (services/bids/lifecycle.ts, asked before every change), the commitment check of a bid
 * going live, the idempotency key, the audit entry and the follow-up (the outbox relay is kicked after
 * the commit). API routes and page forms call these and nothing else to change a bid.
 *
 * Four-eyes: a submission the organization's approval policy catches (services/bids/approval_policy.ts)
 * goes to `pending_approval` instead of the market; `approveBid` sends it on (checked again, as a submit
 * is) and `rejectBid` closes it with a reason. Approvers are admins and members granted `approver`, and
 * nobody decides on their own bid.
 *
 * Plain data in, DomainError out: no HTTP here. Issue paths in a refusal are relative to the input
 * (`segments.1.price`, `bids.2.zone`); the HTTP layer says where the input was (`body.`).
 */
import type { Database, Transaction } from "../../db/database.ts";
import { audit, callerEntry } from "../auth/audit.ts";
import type { Principal } from "../auth/principal.ts";
import { conflict, DomainError, forbidden, invalid } from "../errors.ts";
import { getPolicy } from "./approval.ts";
import { type ApprovalPolicy, approvalReason, approvalRefusal } from "./approval_policy.ts";
import { BID_EVENTS_TOPIC, enqueueEvent } from "./outbox.ts";
import { type CandidateBid, checkBatchCommitment, checkCommitment, lockAssets } from "./commitment.ts";
import { checkCredit } from "./credit.ts";
import type { StorageLimits } from "./feasibility.ts";
import { type KeyedRequest, once, type Outcome } from "./idempotency.ts";
import { assertAllowed, type BidAction } from "./lifecycle.ts";
import {
  bidTerms,
  type BidView,
  type Creator,
  deleteDraft as removeDraft,
  getBid,
  insertBid,
  insertBids,
  lockBids,
  submitDrafts,
  transition,
  updateDraft,
  withdrawReplaced,
} from "./store.ts";
import { assertVirtualBidsOn, checkedBid } from "./validation.ts";
import { bidBody, isVirtualInput } from "./schema.ts";
import type { Iso } from "../market/zones.ts";
import type { BidWriter } from "./writer.ts";

export type { Outcome } from "./idempotency.ts";

export interface BidDeps {
  db: Database;
  /** The coalescing writer of drafts, and the follow-up after a commit (relay the bid events now). */
  bids: { readonly writer: BidWriter; kick(): void };
  now?: () => Date;
  /** The organization's bids-per-day quota (services/admin/meter.ts): `take` throws its 429. */
  quota?: { takeBids(orgId: string, n: number): void; refundBids(orgId: string, n: number): void };
}

/** Runs `create` with `n` bids counted against the day's quota, given back when nothing was created. */
async function withinQuota<T>(deps: BidDeps, orgId: string, n: number, create: () => Promise<T>): Promise<T> {
  deps.quota?.takeBids(orgId, n);
  try {
    return await create();
  } catch (e) {
    deps.quota?.refundBids(orgId, n);
    throw e;
  }
}

/**
 * Who acts, and from which address (for the audit log). A saved strategy acts on its owner's behalf
 * (`strategyId`: its bids carry it, so the approval policy can tell them apart).
 */
export interface Caller {
  principal: Pick<Principal, "orgId" | "userId" | "apiKeyId" | "role" | "approver"> & Partial<Principal>;
  ip?: string | null;
  strategyId?: string | null;
}

export interface ActionOptions {
  /** A retry with the same key gets the first outcome, byte for byte, and changes nothing. */
  idempotency?: KeyedRequest | null;
}

/** The most bids one batch may create. */
export const MAX_BATCH = 500;

const creator = (c: Caller): Creator => ({
  orgId: c.principal.orgId,
  userId: c.principal.userId,
  apiKeyId: c.principal.apiKeyId,
  ip: c.ip,
  strategyId: c.strategyId ?? null,
});

function auditBid(tx: Transaction, c: Caller, action: string, bidId: string, details: Record<string, unknown>) {
  return audit(tx, callerEntry(c, "bid", action, bidId, details));
}

/** Runs `run` in a transaction (once per idempotency key), then kicks the relay of what it committed. */
async function act<T>(
  deps: BidDeps,
  c: Caller,
  opts: ActionOptions,
  run: (tx: Transaction, now: Date) => Promise<T>,
): Promise<Outcome<T>> {
  const now = deps.now?.() ?? new Date();
  const out = await once(deps.db, c.principal.orgId, opts.idempotency ?? null, (tx) => run(tx, now));
  deps.bids.kick();
  return out;
}

/**
 * An action on one stored bid, as the API calls it: `act` that reads the bid, asks the lifecycle rule
 * for `action`, checks the version the client read, then runs `run` with the bid as read (and `id` as
 * the caller wrote it, which the audit entry keeps).
 */
function onStoredBid<T>(
  action: BidAction,
  run: (tx: Transaction, c: Caller, bid: BidView, now: Date, id: string) => Promise<T>,
) {
  return (
    deps: BidDeps,
    c: Caller,
    id: string,
    input: { version?: number } = {},
    opts: ActionOptions = {},
  ): Promise<Outcome<T>> =>
    act(deps, c, opts, async (tx, now) => {
      const bid = await getBid(tx, c.principal.orgId, id);
      assertAllowed(bid, action, now);
      assertVersion(bid, input.version);
      return await run(tx, c, bid, now, id);
    });
}

/** The version the client read, if it sent one, must be the bid's: else someone changed it meanwhile. */
function assertVersion(bid: BidView, expected: number | undefined) {
  if (expected !== undefined && expected !== bid.version) {
    throw conflict(`The bid changed since you read it (version ${bid.version}, not ${expected})`, {
      code: "version_conflict",
      details: { current_version: bid.version, status: bid.status },
    });
  }
}

/**
 * A draft goes to the market: the lifecycle rule, the bid's rules again at `now` (the gate may have
 * closed since it was saved), the asset's commitments, then the change. The one place a bid goes live —
 * or, when the organization's policy wants a second person for it, waits for approval (`pending_approval`,
 * its history and audit entry saying why). `fresh`: the draft was checked at `now` in this transaction
 * (created or edited just before), so its rules are not run again; `asset`: its asset as `lockAssets`
 * already locked it. `approvedBy`: an approver is sending a pending bid on, so no policy applies.
 */
async function goLive(
  tx: Transaction,
  c: Caller,
  draft: BidView,
  now: Date,
  opts: { fresh?: boolean; asset?: StorageLimits; approved?: boolean } = {},
): Promise<BidView> {
  const orgId = c.principal.orgId;
  assertAllowed(draft, opts.approved ? "approve" : "submit", now);
  if (!opts.fresh) await checkedBid(tx, orgId, bidBody(draft as BidView & { zone: Iso }), now, "bid");
  // A physical bid must be deliverable by its asset; a virtual one must fit the organization's credit.
  if (draft.kind === "virtual") await checkCredit(tx, orgId, [draft]);
  else await checkCommitment(tx, orgId, draft as CandidateBid, opts.asset);
  const reason = opts.approved ? null : approvalReason(await getPolicy(tx, orgId), draft);
  if (reason) {
    const pending = await transition(tx, orgId, draft.id, ["draft"], "pending_approval", c.principal, {
      expectedVersion: draft.version,
      details: { approval: "requested", reason },
    });
    await approvalEvent(tx, orgId, pending, "requested", { reason });
    await auditBid(tx, c, "bid.approval_requested", draft.id, { version: pending.version, reason });
    return pending;
  }
  // The version checked above: a change made meanwhile was not validated, so it is a 409.
  const from = opts.approved ? "pending_approval" : "draft";
  const submitted = await transition(tx, orgId, draft.id, [from], "submitted", c.principal, {
    expectedVersion: draft.version,
    set: { submitted_at: now },
    details: opts.approved ? { approval: "approved" } : {},
  });
  if (opts.approved) {
    await approvalEvent(tx, orgId, submitted, "approved", { approver_user_id: c.principal.userId });
    await auditBid(tx, c, "bid.approved", draft.id, { version: submitted.version });
  } else {
    await auditBid(tx, c, "bid.submitted", draft.id, { version: submitted.version });
  }
  return submitted;
}

/** The approval's own event on the bid events topic (`bid.approval`), for notifications to deliver. */
function approvalEvent(
  tx: Transaction,
  orgId: string,
  bid: BidView,
  decision: "requested" | "approved" | "rejected",
  extra: Record<string, unknown>,
) {
  return enqueueEvent(tx, BID_EVENTS_TOPIC, bid.id, {
    type: "bid.approval",
    decision,
    bid_id: bid.id,
    org_id: orgId,
    asset_id: bid.asset_id,
    created_by: bid.created_by,
    version: bid.version,
    at: new Date().toISOString(),
    ...extra,
  });
}

/** What a bid is placed for: its asset, or for a virtual bid its zone and location. */
const slotOf = (b: Pick<BidView, "kind" | "asset_id" | "zone" | "location">) =>
  b.kind === "virtual" ? `virtual|${b.zone}|${b.location}` : `asset|${b.asset_id}`;

/**
 * Creates a draft (and submits it at once with `submit`). Without a key or a submit there is no
 * transaction: concurrent creations share one statement (services/bids/writer.ts), history, outbox
 * event and audit entry included.
 */
export async function createBid(
  deps: BidDeps,
  c: Caller,
  input: unknown,
  opts: ActionOptions & { submit?: boolean } = {},
): Promise<Outcome<BidView>> {
  const orgId = c.principal.orgId;
  return await withinQuota(deps, orgId, 1, async () => {
    if (!opts.idempotency && !opts.submit) {
      const bid = await checkedBid(deps.db, orgId, input, deps.now?.() ?? new Date());
      const created = await deps.bids.writer.insert(creator(c), bid);
      deps.bids.kick();
      return { value: created, json: JSON.stringify(created), replayed: false };
    }
    return await act(deps, c, opts, async (tx, now) => {
      const created = await insertBid(tx, creator(c), await checkedBid(tx, orgId, input, now));
      return opts.submit ? await goLive(tx, c, created, now, { fresh: true }) : created;
    });
  });
}

export interface BatchIssue {
  index: number;
  path: string;
  message: string;
  code: string;
}

/**
 * Creates up to MAX_BATCH drafts (and submits them with `submit`), all or nothing: if any bid is
 * invalid, nothing is created and the refusal lists the issues per item (`index`, `path` = `bids.N.…`).
 * This is also how a day grid submits an operating day (24 hours, 23 or 25 on DST days): with `submit`,
 * the batch's bids are judged together against each asset's live bids (a storage asset's energy across
 * the day), one read per asset, and a batch that over-commits an asset is a 409 whose details name each
 * bid (`index`) — nothing is created. `replaces`: bids this batch supersedes (the day's previous
 * version), withdrawn in the same transaction before the new ones are judged; history keeps both. Drafts
 * (no `submit`) replace drafts only.
 */
export async function createBids(
  deps: BidDeps,
  c: Caller,
  input: { bids: readonly unknown[]; submit?: boolean; replaces?: readonly string[] },
  opts: ActionOptions = {},
): Promise<Outcome<{ items: BidView[] }>> {
  return await withinQuota(
    deps,
    c.principal.orgId,
    input.bids.length,
    () => act(deps, c, opts, (tx, now) => createBatchIn(tx, c, input, now)),
  );
}

/**
 * `createBids` inside a transaction the caller owns: the strategy runner makes a day's bids and records
 * its run in one transaction, so the run and its bids commit together or not at all.
 */
export async function createBatchIn(
  tx: Transaction,
  c: Caller,
  input: { bids: readonly unknown[]; submit?: boolean; replaces?: readonly string[] },
  now: Date,
): Promise<{ items: BidView[] }> {
  if (input.bids.length < 1 || input.bids.length > MAX_BATCH) {
    throw invalid(`bids must hold 1 to ${MAX_BATCH} bids`, { code: "validation_failed" });
  }
  const replaces = [...new Set(input.replaces ?? [])];
  const orgId = c.principal.orgId;
  const issues: BatchIssue[] = [];
  const checked = [];
  // Once for the batch, and a refusal of the whole of it: not an issue per virtual bid.
  const virtualOn = input.bids.some(isVirtualInput);
  if (virtualOn) await assertVirtualBidsOn(tx, orgId);
  for (const [index, bid] of input.bids.entries()) {
    try {
      checked.push(await checkedBid(tx, orgId, bid, now, `bids.${index}`, { virtualOn }));
    } catch (e) {
      if (!(e instanceof DomainError) || !(e.kind === "invalid" || e.kind === "not_found")) throw e;
      const details = e.kind === "invalid"
        ? e.options.details as Omit<BatchIssue, "index">[]
        : [{ path: `bids.${index}.asset_id`, message: e.message, code: e.code }];
      issues.push(...details.map((d) => ({ index, ...d })));
    }
  }
  if (issues.length) {
    throw invalid(
      `${new Set(issues.map((e) => e.index)).size} of ${input.bids.length} bids are invalid; none were created`,
      { code: "validation_failed", details: issues },
    );
  }
  const created = await insertBids(tx, checked.map((bid) => ({ p: creator(c), bid })));
  if (!input.submit) {
    if (replaces.length) await replaceOld(tx, c, replaces, created, now, { drafts: true });
    return { items: created };
  }
  const physical = created.filter((b) => b.kind === "physical") as (BidView & CandidateBid)[];
  // Every asset of the batch locked up front, in one order: two batches over the same assets cannot deadlock.
  const assets = await lockAssets(tx, orgId, physical.map((b) => b.asset_id));
  if (replaces.length) await replaceOld(tx, c, replaces, created, now);
  if (physical.length === created.length) await checkBatchCommitment(tx, orgId, physical, assets);
  else {
    // A mixed batch: issues must still name each bid by its place in the whole batch.
    await checkBatchCommitmentAt(tx, orgId, created, assets);
    await checkCredit(tx, orgId, created.filter((b) => b.kind === "virtual"));
  }
  // What goLive does per bid, for the whole batch at once: the lifecycle rule, the approval policy, then
  // one statement.
  for (const draft of created) assertAllowed(draft, "submit", now);
  const policy = await getPolicy(tx, orgId);
  return { items: await submitDrafts(tx, creator(c), created.map((d) => routed(policy, d)), now) };
}

/** Where a draft of a submitted batch goes: to the market, or to the approval queue with the reason. */
function routed(policy: ApprovalPolicy, d: BidView) {
  const reason = approvalReason(policy, d);
  return { id: d.id, version: d.version, to: reason ? "pending_approval" as const : "submitted" as const, reason };
}

/**
 * The bids a batch replaces (its new versions, e.g. a day grid re-submitting a day) leave the market in
 * the same transaction as the new ones enter it, before the commitment check (so the old and new versions
 * are never counted together). Each must be the caller's (else 404), of an asset of the batch (400), and
 * withdrawable now: a draft, or a submitted bid whose gate is still open (else 409, nothing changes).
 */
async function replaceOld(
  tx: Transaction,
  c: Caller,
  ids: readonly string[],
  created: readonly BidView[],
  now: Date,
  opts: { drafts?: boolean } = {},
) {
  const orgId = c.principal.orgId;
  const old = await lockBids(tx, orgId, ids);
  if (old.length !== ids.length) {
    const missing = ids.filter((id) => !old.some((b) => b.id === id));
    throw new DomainError("not_found", `Bid(s) to replace not found: ${missing.join(", ")}`, { code: "not_found" });
  }
  const slots = new Set(created.map(slotOf));
  const foreign = old.findIndex((b) => !slots.has(slotOf(b)));
  if (foreign >= 0) {
    throw invalid(`replaces.${foreign}: bid ${old[foreign].id} is not for an asset (or location) of this batch`, {
      code: "validation_failed",
      details: [{
        path: `replaces.${foreign}`,
        message: "not a bid of an asset (or virtual location) in this batch",
        code: "replaces_other",
      }],
    });
  }
  // Drafts replace drafts only: a submitted bid gives way to a new version the market receives, not to a draft.
  const live = opts.drafts ? old.findIndex((b) => b.status !== "draft") : -1;
  if (live >= 0) {
    throw invalid(`replaces.${live}: bid ${old[live].id} is ${old[live].status}; only drafts are replaced by drafts`, {
      code: "validation_failed",
      details: [{
        path: `replaces.${live}`,
        message: `a ${old[live].status} bid is replaced only by bids submitted with it (submit: true)`,
        code: "replaces_live_with_draft",
      }],
    });
  }
  for (const b of old) assertAllowed(b, "withdraw", now);
  // The new version of an old bid is the batch's bid for the same asset and interval, if there is one.
  const successor = new Map(created.map((b) => [`${slotOf(b)}|${Date.parse(b.interval_start)}`, b.id]));
  await withdrawReplaced(
    tx,
    creator(c),
    old.map((b) => ({
      id: b.id,
      version: b.version,
      status: b.status,
      replaced_by: successor.get(`${slotOf(b)}|${Date.parse(b.interval_start)}`) ?? null,
    })),
  );
}

/** Edits a draft read at `version` (a change made since is a 409), and submits it with `submit`. */
export async function editDraft(
  deps: BidDeps,
  c: Caller,
  id: string,
  input: { version: number; bid: unknown },
  opts: ActionOptions & { submit?: boolean } = {},
): Promise<Outcome<BidView>> {
  const orgId = c.principal.orgId;
  return await act(deps, c, opts, async (tx, now) => {
    const before = await getBid(tx, orgId, id);
    assertAllowed(before, "edit", now);
    const bid = await checkedBid(tx, orgId, input.bid, now);
    const after = await updateDraft(tx, c.principal, id, input.version, bid);
    await auditBid(tx, c, "bid.edited", id, {
      version: after.version,
      before: bidTerms(before),
      after: bidTerms(after),
    });
    return opts.submit ? await goLive(tx, c, after, now, { fresh: true }) : after;
  });
}

/** Submits a draft to the market. */
export const submitBid = onStoredBid("submit", (tx, c, bid, now) => goLive(tx, c, bid, now));

/** Withdraws a draft (at any time) or a submitted bid (while its market is open). */
export const withdrawBid = onStoredBid("withdraw", async (tx, c, bid, _now, id) => {
  // From the status the rule was checked for, at the version read: anything since is a 409.
  const out = await transition(tx, c.principal.orgId, id, [bid.status], "withdrawn", c.principal, {
    expectedVersion: bid.version,
  });
  await auditBid(tx, c, "bid.withdrawn", id, { from: bid.status, version: out.version });
  return out;
});

/** Deletes a draft; its audit entry keeps what it was. */
export const deleteDraft = onStoredBid("delete", async (tx, c, bid, _now, id) => {
  await removeDraft(tx, c.principal, id, bid.version);
  await auditBid(tx, c, "bid.deleted", id, { version: bid.version, before: bidTerms(bid) });
  return null;
});

/**
 * An approver decides on a pending bid: who may (admins and approvers, never on their own bid) is asked
 * before anything else, so a refusal says that and not the bid's state.
 */
async function assertDecider(tx: Transaction, c: Caller, id: string) {
  const bid = await getBid(tx, c.principal.orgId, id);
  const no = approvalRefusal(c.principal, bid.created_by);
  if (no) throw forbidden(no.message, { code: no.code });
}

/** Approves a pending bid: it goes to the market, checked again as a submit is (rules, gate, commitments). */
export function approveBid(
  deps: BidDeps,
  c: Caller,
  id: string,
  input: { version?: number } = {},
  opts: ActionOptions = {},
): Promise<Outcome<BidView>> {
  return act(deps, c, opts, async (tx, now) => {
    await assertDecider(tx, c, id);
    const bid = await getBid(tx, c.principal.orgId, id);
    assertAllowed(bid, "approve", now);
    assertVersion(bid, input.version);
    return await goLive(tx, c, bid, now, { approved: true });
  });
}

/** Rejects a pending bid with a reason, kept on the bid (`reject_reason`) and in its history. */
export function rejectBid(
  deps: BidDeps,
  c: Caller,
  id: string,
  input: { reason: string; version?: number },
  opts: ActionOptions = {},
): Promise<Outcome<BidView>> {
  return act(deps, c, opts, async (tx, now) => {
    await assertDecider(tx, c, id);
    const bid = await getBid(tx, c.principal.orgId, id);
    assertAllowed(bid, "reject", now);
    assertVersion(bid, input.version);
    const out = await transition(tx, c.principal.orgId, id, ["pending_approval"], "rejected", c.principal, {
      expectedVersion: bid.version,
      set: { reject_reason: input.reason },
      details: { approval: "rejected", reason: input.reason },
    });
    await approvalEvent(tx, c.principal.orgId, out, "rejected", {
      approver_user_id: c.principal.userId,
      reason: input.reason,
    });
    await auditBid(tx, c, "bid.approval_rejected", id, { version: out.version, reason: input.reason });
    return out;
  });
}

/**
 * The commitment check of the physical bids of a batch that also holds virtual ones: the issues' `index` and
 * `bids.N.` paths are mapped back from the physical subset to the whole batch.
 */
async function checkBatchCommitmentAt(
  tx: Transaction,
  orgId: string,
  batch: readonly BidView[],
  assets: Awaited<ReturnType<typeof lockAssets>>,
) {
  const at = batch.flatMap((b, i) => b.kind === "physical" ? [i] : []);
  if (!at.length) return;
  try {
    await checkBatchCommitment(tx, orgId, at.map((i) => batch[i] as BidView & CandidateBid), assets);
  } catch (e) {
    if (!(e instanceof DomainError) || e.code !== "over_committed") throw e;
    const remap = (s: string) => s.replace(/bids\.(\d+)\./g, (_, n) => `bids.${at[Number(n)]}.`);
    const details = (e.options.details as { index: number; path: string; message: string }[]).map((d) => ({
      ...d,
      index: at[d.index],
      path: remap(d.path),
      message: remap(d.message),
    }));
    throw new DomainError(e.kind, remap(e.message), { ...e.options, details });
  }
}
