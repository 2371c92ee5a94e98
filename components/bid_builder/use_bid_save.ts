/**
 * Saving and submitting from the builder. "Save draft" creates the bid (POST /api/bids, with an
 * Idempotency-Key per attempt) or, once this builder holds a draft — saved here, or opened with
 * /bidding?edit=<id> — edits it (PUT with its version, so someone else's change since is a 409, not
 * overwritten); "Submit" saves and then submits it. Nothing typed is cleared by a failure, so a save
 * refused because the session ended can be pressed again after signing in.
 */
import { useRef, useState } from "preact/hooks";
import { AttemptKeys, send } from "../bid_api.ts";
import { BIDS_CHANGED_EVENT } from "../bid_format.ts";
import { type BuilderAsset, formToInput, repeatedBids, serverIssues } from "../bid_form.ts";
import { bidBody, type Issue } from "../../services/bids/schema.ts";
import { messageInUnit } from "../../services/market/price_input.ts";
import type { BidFormState } from "./use_bid_form.ts";
import type { BidBuilderProps } from "./types.ts";

export interface Draft {
  id: string;
  version: number;
  status: string;
  /** The bid as saved: unchanged form → no need to save again before submitting. */
  saved: string;
}

export type Outcome = { kind: "success" | "error"; text: string; bidId?: string; reload?: boolean } | null;

export function useBidSave(opts: {
  bid: BidFormState;
  assets: BuilderAsset[];
  initial: BidBuilderProps["initial"];
  setOutcome: (o: Outcome) => void;
  /** Puts the focus on the first field with an error (after the messages rendered). */
  focusFirstError: () => void;
}) {
  const { bid, setOutcome, focusFirstError } = opts;
  const [busy, setBusy] = useState<"" | "save" | "submit">("");
  const [draft, setDraft] = useState<Draft | null>(() => {
    const initial = opts.initial;
    const e = initial?.editing;
    if (!e) return null;
    const saved = e.fresh
      ? JSON.stringify(formToInput(
        initial.form,
        opts.assets.find((a) => a.id === initial.form.assetId),
        bid.priceUnit,
      ))
      : "";
    return { id: e.id, version: e.version, status: "draft", saved };
  });
  /** The bid last submitted from here: the same again is most likely a double click, not a second bid. */
  const [lastSubmitted, setLastSubmitted] = useState<string | null>(null);
  const createKeys = useRef(new AttemptKeys());
  const submitKeys = useRef(new AttemptKeys());

  /**
   * "The next N intervals" of an RT bid: N bids, one batch (all or nothing, one Idempotency-Key per attempt).
   * Each is a new bid, so the builder keeps no draft of them.
   */
  async function saveRepeated(body: { market: "DA" | "RT"; interval_start: string }, n: number, andSubmit: boolean) {
    const bids = repeatedBids(body, n);
    setBusy(andSubmit ? "submit" : "save");
    try {
      const answer = await send("/api/bids/batch", {
        method: "POST",
        body: { bids, submit: andSubmit },
        keys: createKeys.current,
      });
      if (!answer.ok) {
        const issues = answerIssues(answer);
        // A refusal names its bid (bids.K.…): the form shows the first interval's issues on its fields.
        bid.setServer(issues.map((i) => ({ ...i, path: i.path.replace(/^(body\.)?bids\.\d+\.?/, "") || "_form" })));
        setTimeout(focusFirstError, 0);
        return;
      }
      const items = (answer.body as { items: { id: string }[] }).items;
      bid.setAttempted(false);
      setOutcome({
        kind: "success",
        text: `${
          andSubmit ? "Submitted" : "Saved as drafts"
        }: ${items.length} bids, the next ${items.length} intervals.`,
        bidId: items[0]?.id,
      });
      changed();
    } finally {
      setBusy("");
    }
  }

  async function save(andSubmit: boolean, repeat = 1) {
    bid.setAttempted(true);
    setOutcome(null);
    const check = bid.check;
    if (!check || !check.ok) {
      setTimeout(focusFirstError, 0);
      return;
    }
    const body = bidBody(check.bid) as ReturnType<typeof bidBody> & { market: "DA" | "RT"; interval_start: string };
    if (repeat > 1 && body.market === "RT" && !draft) return await saveRepeated(body, repeat, andSubmit);
    const saved = JSON.stringify(body);
    if (!draft && saved === lastSubmitted) {
      setOutcome({ kind: "error", text: "This exact bid was just submitted. Change it to send another one." });
      return;
    }
    setBusy(andSubmit ? "submit" : "save");
    try {
      let current = draft;
      if (!current || current.saved !== saved || current.status !== "draft") {
        const answer = current && current.status === "draft"
          ? await send(`/api/bids/${current.id}`, { method: "PUT", body: { ...body, version: current.version } })
          : await send("/api/bids", { method: "POST", body, keys: createKeys.current });
        if (!answer.ok && answer.status === 409 && current) {
          setOutcome(conflict(answer.body, current.id));
          return;
        }
        if (!answer.ok) {
          bid.setServer(answerIssues(answer));
          setTimeout(focusFirstError, 0);
          return;
        }
        const row = answer.body as { id: string; version: number; status: string };
        current = { id: row.id, version: row.version, status: row.status, saved };
        setDraft(current);
        changed();
      }
      if (!andSubmit) {
        setOutcome({ kind: "success", text: "Draft saved.", bidId: current.id });
        return;
      }
      const answer = await send(`/api/bids/${current.id}/submit`, {
        method: "POST",
        body: { version: current.version },
        keys: submitKeys.current,
      });
      if (!answer.ok) {
        const issues = answerIssues(answer);
        bid.setServer(issues.filter((i) => i.path !== "_form"));
        setOutcome({
          kind: "error",
          text: `Saved as a draft, but not submitted: ${
            issues.map((i) => messageInUnit(i.message, bid.priceUnit)).join("; ")
          }`,
          bidId: current.id,
        });
        return;
      }
      // Submitted: the builder starts a new bid (same asset, market and curve, for the next interval).
      leaveEdit();
      setDraft(null);
      setLastSubmitted(saved);
      bid.setAttempted(false);
      setOutcome({ kind: "success", text: "Bid submitted.", bidId: current.id });
      changed();
    } finally {
      setBusy("");
    }
  }

  function startNew() {
    leaveEdit();
    setDraft(null);
    setOutcome(null);
    bid.setServer([]);
    bid.setAttempted(false);
  }

  return { busy, draft, save, startNew };
}

/** The builder holds no draft any more: a reload must not open the one of ?edit= again. */
function leaveEdit() {
  if (new URLSearchParams(location.search).has("edit")) history.replaceState(null, "", "/bidding");
}

/** Tells the bid list (and anything else listening) to read the bids again. */
function changed() {
  globalThis.dispatchEvent?.(new CustomEvent(BIDS_CHANGED_EVENT));
}

/**
 * A 409 on saving a draft: someone else changed it since it was read (its version moved on), or it is no
 * longer a draft. Either way this form was not saved, and says so with the way forward.
 */
function conflict(body: unknown, bidId: string): Outcome {
  const error = (body as { error?: { code?: string; details?: { current_version?: number; status?: string } } })
    ?.error;
  if (error?.code === "version_conflict" && (error.details?.status ?? "draft") === "draft") {
    return {
      kind: "error",
      text: `Not saved: this draft was changed by someone else since you opened it (it is now version ${
        error.details?.current_version ?? "newer"
      }). Your changes are still in the form; reload the draft to see theirs, then edit it again.`,
      bidId,
      reload: true,
    };
  }
  const status = error?.details?.status;
  return {
    kind: "error",
    text: `Not saved: this bid is ${status ? `${status}, ` : ""}no longer a draft, so it cannot be edited.`,
    bidId,
  };
}

/** Issues of a failed call: field-level from a 400's details, else one for the whole form. */
function answerIssues(answer: { status: number; body: unknown; networkError?: string }): Issue[] {
  if (answer.status === 0) {
    return [{
      path: "_form",
      message: `The server could not be reached (${answer.networkError ?? "network error"}). Try again: ` +
        "a retry cannot create the bid twice.",
      code: "network",
    }];
  }
  if (answer.status === 401) {
    return [{
      path: "_form",
      message: "Your session has ended: sign in again (the sign-in prompt opens a new tab), then retry. " +
        "Your bid is still here.",
      code: "401",
    }];
  }
  return serverIssues(answer.body, answer.status);
}
