/**
 * The delivery interval, typed on the zone's market clock (operating day and hour ending: 23 or 25 hours on
 * DST days, "HE2*" for the repeated hour; RT adds the minute), with its gate beside it, and the side.
 */
import { dayHours } from "../bid_form.ts";
import { intervalEnd, submissionDeadline } from "../../services/bids/schema.ts";
import {
  formatMarketClock,
  formatMarketInterval,
  formatUserTime,
  marketClock,
} from "../../services/market/market_time.ts";
import { ZONES } from "../../services/market/zones.ts";
import { Choice, control, FieldErrors } from "./fields.tsx";
import type { BidFormState } from "./use_bid_form.ts";

/** Before a valid date is typed: the plain day's 24 hours. */
const PLAIN_DAY = Array.from(
  { length: 24 },
  (_, i) => ({ index: i, label: `HE${i + 1}`, start: null, repeated: false }),
);
const MINUTES = Array.from({ length: 12 }, (_, i) => i * 5);
const pad = (n: number) => String(n).padStart(2, "0");

export function IntervalSideFields({ bid }: { bid: BidFormState }) {
  const { form, asset, zone, start, update } = bid;
  const err = (key: string) => bid.errors[key];
  const startMs = start ? Date.parse(start) : NaN;
  const deadline = Number.isFinite(startMs) ? submissionDeadline(zone, form.market, startMs) : null;
  const hours = dayHours(zone, form.date);
  const options = hours.length ? hours : PLAIN_DAY;
  const clock = marketClock(zone);
  return (
    <div class="grid gap-4 sm:grid-cols-2">
      <fieldset class="space-y-1">
        <legend class="block text-sm font-medium text-slate-700">
          Delivery, {zone} market time ({clock.short})
        </legend>
        <div
          class={`grid gap-2 ${
            form.market === "RT" ? "grid-cols-[minmax(0,1fr)_5rem_4.5rem]" : "grid-cols-[minmax(0,1fr)_5rem]"
          }`}
        >
          <div class="min-w-0">
            <label for="bb-date" class="sr-only">Operating day ({clock.short})</label>
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
            <label for="bb-hour" class="sr-only">Hour ending ({clock.short})</label>
            <select
              id="bb-hour"
              name="hour"
              class={control(err("interval_start"), "px-2")}
              onChange={(e) => update({ hour: Number(e.currentTarget.value) }, ["interval_start"])}
            >
              {options.map((h) => (
                <option key={h.index} value={h.index} selected={h.index === form.hour}>
                  {form.market === "RT" && h.start
                    ? `${formatMarketClock(zone, h.start)}${h.repeated ? "*" : ""}`
                    : h.label}
                </option>
              ))}
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
            {formatMarketInterval(zone, start, intervalEnd(form.market, start))}
            {deadline && <>{" "}· bids close {formatUserTime(ZONES[zone].gateTimeZone, deadline)}</>}
          </p>
        )}
        <FieldErrors id="bb-interval-errors" field="interval_start" messages={err("interval_start")} />
      </fieldset>

      <fieldset class="space-y-1">
        <legend class="block text-sm font-medium text-slate-700">Side</legend>
        {form.kind === "virtual"
          ? (
            <div class="grid grid-cols-2 gap-2">
              <Choice
                name="side"
                value="inc"
                checked={form.side === "inc"}
                onChange={() => update({ side: "inc" }, ["side"])}
                label="INC"
                detail="sell DA, buy back RT"
              />
              <Choice
                name="side"
                value="dec"
                checked={form.side === "dec"}
                onChange={() => update({ side: "dec" }, ["side"])}
                label="DEC"
                detail="buy DA, sell back RT"
              />
            </div>
          )
          : (
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
          )}
        <FieldErrors id="bb-side-errors" field="side" messages={err("side")} />
      </fieldset>
    </div>
  );
}
