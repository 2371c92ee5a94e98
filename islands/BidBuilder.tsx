/**
 * The bid builder: pick an asset (its zone comes with it), the market, the delivery interval and the
 * side, type a curve of 1–10 (price, quantity) segments, and see it as a step chart against the latest
 * price, the hour's published DA price and its forecast. Every keystroke is checked with the API's own rules, each message beside its field; what the
 * server still refuses (its clock and asset data count) is shown the same way.
 *
 * The parts (components/bid_builder/): the form's state and rules (useBidForm), saving and submitting
 * (useBidSave), the prices (useLatestPrice, usePublishedDa, useForecast), and one component per area of the form.
 * Without JavaScript the same markup is a plain form posted to /bidding.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { MAX_REPEAT, typedSegments } from "../components/bid_form.ts";
import { AssetMarketFields } from "../components/bid_builder/AssetMarketFields.tsx";
import { CurveEditor } from "../components/bid_builder/CurveEditor.tsx";
import { IntervalSideFields } from "../components/bid_builder/IntervalSideFields.tsx";
import { StepChart } from "../components/bid_builder/StepChart.tsx";
import { SubmitBar } from "../components/bid_builder/SubmitBar.tsx";
import type { BidBuilderProps } from "../components/bid_builder/types.ts";
import { useBidForm } from "../components/bid_builder/use_bid_form.ts";
import { type Outcome, useBidSave } from "../components/bid_builder/use_bid_save.ts";
import { useForecast, useLatestPrice, usePublishedDa } from "../components/bid_builder/use_prices.ts";
import { mountSessionPrompt } from "../components/SessionPrompt.tsx";
import { clearingSide } from "../services/bids/schema.ts";

export type { BidBuilderProps, LatestPrice } from "../components/bid_builder/types.ts";

export default function BidBuilder(
  { assets, latest, now, formKey, initial, canForecast = false, canVirtual = true, priceUnit = "$/MWh" }:
    BidBuilderProps,
) {
  const [outcome, setOutcome] = useState<Outcome>(null);
  /** RT only: how many consecutive intervals, from the chosen one, one save covers. */
  const [repeat, setRepeat] = useState(1);
  const root = useRef<HTMLFormElement>(null);
  const bid = useBidForm({ assets, now, initial, priceUnit, canVirtual }, () => setOutcome(null));
  const focusFirstError = () => root.current?.querySelector<HTMLElement>("[aria-invalid=true]")?.focus();
  const { busy, draft, save, startNew } = useBidSave({ bid, assets, initial, setOutcome, focusFirstError });
  const price = useLatestPrice(bid.zone, latest);
  const da = usePublishedDa(bid.zone, bid.start);
  const fc = useForecast(bid.zone, bid.start, canForecast);
  useEffect(mountSessionPrompt, []);

  return (
    <form
      ref={root}
      method="post"
      action="/bidding"
      class="space-y-5"
      novalidate
      data-testid="bid-builder"
      onSubmit={(e) => {
        e.preventDefault();
        const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
        void save(submitter?.value === "submit", bid.form.market === "RT" && !draft ? repeat : 1);
      }}
    >
      {/* Enter in a field presses the form's first submit button: let that be "Save draft", not a row's ×. */}
      <button type="submit" name="action" value="default" class="sr-only" tabIndex={-1} aria-hidden="true">
        Save draft
      </button>
      <input type="hidden" name="idempotency_key" value={formKey} />
      {draft?.status === "draft" && (
        // Without JavaScript the page's POST edits this draft rather than creating a bid.
        <>
          <input type="hidden" name="edit_id" value={draft.id} />
          <input type="hidden" name="edit_version" value={String(draft.version)} />
        </>
      )}
      {draft && (
        <p class="flex flex-wrap items-center justify-between gap-2 rounded-md bg-slate-100 px-3 py-2 text-xs text-slate-700">
          <span>
            Editing draft{" "}
            <a class="font-mono text-brand-700 underline" href={`/bidding/${draft.id}`}>
              {draft.id.slice(0, 8)}
            </a>: saving again updates it.
          </span>
          <button type="button" class="font-semibold text-brand-700 hover:underline" onClick={startNew}>
            Start a new bid
          </button>
        </p>
      )}

      {!assets.length && (
        <p
          class="rounded-md bg-brand-50 px-4 py-3 text-sm text-brand-900 ring-1 ring-brand-100"
          data-testid="no-assets"
        >
          You have no assets yet: add a site and an asset (Assets) to bid with it. Virtual bids need none.
        </p>
      )}
      <AssetMarketFields bid={bid} assets={assets} canVirtual={canVirtual} />

      <IntervalSideFields bid={bid} />

      <div class="grid gap-5 lg:grid-cols-2">
        <CurveEditor bid={bid} />
        <StepChart
          segments={typedSegments(bid.form.rows, priceUnit)}
          side={clearingSide(bid.form.side)}
          zone={bid.zone}
          price={price}
          da={da}
          fc={fc}
          canForecast={canForecast}
          priceUnit={priceUnit}
        />
      </div>

      {bid.form.market === "RT" && !draft && (
        <label class="flex items-center justify-end gap-2 text-sm text-slate-700">
          For the next
          <input
            id="bb-repeat"
            type="number"
            min={1}
            max={MAX_REPEAT}
            value={repeat}
            class="w-16 rounded-md border border-slate-300 px-2 py-1 text-right text-sm"
            onInput={(e) => {
              const n = Math.round(Number((e.currentTarget as HTMLInputElement).value));
              setRepeat(Number.isFinite(n) ? Math.max(1, Math.min(MAX_REPEAT, n)) : 1);
            }}
          />
          interval(s) of 5 minutes, as one batch
        </label>
      )}

      <SubmitBar formErrors={bid.errors["_form"]} outcome={outcome} busy={busy} editing={draft !== null} />
    </form>
  );
}
