/** The form-level messages, the outcome of the last save or submit, and the two buttons. */
import { FieldErrors } from "./fields.tsx";
import type { Outcome } from "./use_bid_save.ts";

export function SubmitBar({ formErrors, outcome, busy, editing }: {
  formErrors: string[] | undefined;
  outcome: Outcome;
  busy: "" | "save" | "submit";
  /** The builder holds a draft: saving updates it. */
  editing: boolean;
}) {
  return (
    <>
      <FieldErrors id="bb-form-errors" field="_form" messages={formErrors} />
      {outcome && (
        <div
          role={outcome.kind === "error" ? "alert" : "status"}
          data-testid="builder-outcome"
          class={`rounded-md px-4 py-3 text-sm ring-1 ${
            outcome.kind === "error"
              ? "bg-red-50 text-red-800 ring-red-200"
              : "bg-emerald-50 text-emerald-800 ring-emerald-200"
          }`}
        >
          {outcome.text} {outcome.reload && outcome.bidId
            ? (
              <a class="font-semibold underline" href={`/bidding?edit=${outcome.bidId}`} data-testid="reload-draft">
                Reload the draft
              </a>
            )
            : outcome.bidId && <a class="font-semibold underline" href={`/bidding/${outcome.bidId}`}>View bid</a>}
        </div>
      )}
      <div class="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <button
          type="submit"
          name="action"
          value="save"
          disabled={busy !== ""}
          class="inline-flex items-center justify-center rounded-md bg-white px-4 py-2 text-sm font-semibold text-slate-700 shadow-sm ring-1 ring-slate-300 hover:bg-slate-50 disabled:opacity-60"
        >
          {busy === "save" ? "Saving…" : editing ? "Save changes" : "Save draft"}
        </button>
        <button
          type="submit"
          name="action"
          value="submit"
          disabled={busy !== ""}
          class="inline-flex items-center justify-center rounded-md bg-brand-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-brand-700 disabled:opacity-60"
        >
          {busy === "submit" ? "Submitting…" : "Submit to market"}
        </button>
      </div>
    </>
  );
}
