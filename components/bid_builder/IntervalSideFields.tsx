/** The delivery interval (UTC, with the zone's own clock and gate beside it) and the side. */
import { utcMinute } from "../bid_format.ts";
import { marketClock } from "../bid_form.ts";
import { intervalEnd, submissionDeadline } from "../../services/bids/schema.ts";
import { Choice, control, FieldErrors } from "./fields.tsx";
import type { BidFormState } from "./use_bid_form.ts";

const HOURS = Array.from({ length: 24 }, (_, h) => h);
const MINUTES = Array.from({ length: 12 }, (_, i) => i * 5);
const pad = (n: number) => String(n).padStart(2, "0");

export function IntervalSideFields({ bid }: { bid: BidFormState }) {
  const { form, asset, zone, start, update } = bid;
  const err = (key: string) => bid.errors[key];
  const startMs = start ? Date.parse(start) : NaN;
  const deadline = Number.isFinite(startMs) ? submissionDeadline(zone, form.market, startMs) : null;
  return (
    <div class="grid gap-4 sm:grid-cols-2">
      <fieldset class="space-y-1">
        <legend class="block text-sm font-medium text-slate-700">Delivery interval (UTC)</legend>
        <div
          class={`grid gap-2 ${
            form.market === "RT" ? "grid-cols-[minmax(0,1fr)_5rem_4.5rem]" : "grid-cols-[minmax(0,1fr)_5rem]"
          }`}
        >
          <div class="min-w-0">
            <label for="bb-date" class="sr-only">Date (UTC)</label>
            <input
              id="bb-date"
              type="date"
              name="date"
              value={form.date}
              class={control(err("interval_start"))}
              aria-invalid={err("interval_start") ? "true" : undefined}
              aria-describedby="bb-interval-hint bb-interval-errors"
              onInput={(e) => update({ date: e.currentTarget.value }, ["interval_start"])}
            />
          </div>
          <div>
            <label for="bb-hour" class="sr-only">Hour (UTC)</label>
            <select
              id="bb-hour"
              name="hour"
              class={control(err("interval_start"), "px-2")}
              onChange={(e) => update({ hour: Number(e.currentTarget.value) }, ["interval_start"])}
            >
              {HOURS.map((h) => <option key={h} value={h} selected={h === form.hour}>{pad(h)}:00</option>)}
            </select>
          </div>
          {form.market === "RT" && (
            <div>
              <label for="bb-minute" class="sr-only">Minute</label>
              <select
                id="bb-minute"
                name="minute"
                class={control(err("interval_start"), "px-2")}
                onChange={(e) => update({ minute: Number(e.currentTarget.value) }, ["interval_start"])}
              >
                {MINUTES.map((m) => <option key={m} value={m} selected={m === form.minute}>:{pad(m)}</option>)}
              </select>
            </div>
          )}
        </div>
        {start && (
          <p id="bb-interval-hint" class="text-xs text-slate-500" data-testid="interval-hint">
            {utcMinute(start).slice(11)}–{utcMinute(intervalEnd(form.market, start)).slice(11)} UTC ={" "}
            {marketClock(zone, startMs)} on {zone}'s clock
            {deadline && <>{" "}· bids close {utcMinute(deadline.toISOString())} UTC</>}
          </p>
        )}
        <FieldErrors id="bb-interval-errors" field="interval_start" messages={err("interval_start")} />
      </fieldset>

      <fieldset class="space-y-1">
        <legend class="block text-sm font-medium text-slate-700">Side</legend>
        <div class="grid grid-cols-2 gap-2">
          <Choice
            name="side"
            value="offer"
            checked={form.side === "offer"}
            onChange={() => update({ side: "offer" }, ["side"])}
            label="Offer"
            detail="sell"
          />
          <Choice
            name="side"
            value="bid"
            checked={form.side === "bid"}
            disabled={asset?.kind !== "storage"}
            onChange={() => update({ side: "bid" }, ["side"])}
            label="Bid"
            detail={asset?.kind === "storage" ? "buy (charge)" : "storage only"}
          />
        </div>
        <FieldErrors id="bb-side-errors" field="side" messages={err("side")} />
      </fieldset>
    </div>
  );
}
