/**
 * The bid builder: pick an asset (its zone comes with it), the market, the delivery interval and the
 * side, type a curve of 1–10 (price, quantity) segments, and see it as a step chart against the latest
 * price. Every keystroke is checked with the API's own rules (`checkBid` of services/bids/schema.ts,
 * with the selected asset and the browser's clock), each message beside its field; what the server
 * still refuses (its clock and asset data count) is shown the same way.
 *
 * "Save draft" creates the bid (POST /api/bids, with an Idempotency-Key per attempt) or, once this
 * builder holds a draft — saved here, or opened with /bidding?edit=<id> — edits it (PUT with its version,
 * so someone else's change since is a 409, not overwritten); "Submit" saves and then submits it.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { type ComponentChildren, Fragment } from "preact";
import { CurveChart, type RefLine } from "../components/CurveChart.tsx";
import { BIDS_CHANGED_EVENT, usd, utcMinute } from "../components/bid_format.ts";
import {
  type BuilderAsset,
  type BuilderForm,
  type CurveRow,
  defaultInterval,
  formToInput,
  intervalStartOf,
  issuesByField,
  marketClock,
  maxRows,
  serverIssues,
  typedSegments,
} from "../components/bid_form.ts";
import { AttemptKeys, send } from "../components/bid_api.ts";
import { checkBid, intervalEnd, type Issue, sideLimitMw, submissionDeadline } from "../services/bids/schema.ts";
import type { Market } from "../services/market/types.ts";
import { type Iso, ZONES } from "../services/market/zones.ts";

export interface LatestPrice {
  rt: { lmp: number; interval_start: string } | null;
  da: { lmp: number; interval_start: string } | null;
}

export interface BidBuilderProps {
  assets: BuilderAsset[];
  /** Latest prices by zone, as the page read them. */
  latest: Record<string, LatestPrice>;
  /** The server's clock when it rendered (the first default interval; validation uses the browser's clock). */
  now: string;
  /**
   * Without JavaScript the builder is a plain form posted to the page: the key makes a repeated post
   * (reload, double click) create the bid once.
   */
  formKey: string;
  /** The form as posted without JavaScript, with the server's verdict, when the page renders it again. */
  initial?: {
    form: BuilderForm;
    issues: Issue[];
    attempted: boolean;
    /**
     * The draft this form edits, with the version it was read at. `fresh`: the form is the draft as saved
     * (opened from it, not posted back), so submitting it unchanged needs no save first.
     */
    editing?: { id: string; version: number; fresh?: boolean };
  };
}

const HOURS = Array.from({ length: 24 }, (_, h) => h);
const MINUTES = Array.from({ length: 12 }, (_, i) => i * 5);
const pad = (n: number) => String(n).padStart(2, "0");

let nextKey = 1;
const newRow = (price = "", quantity = ""): CurveRow => ({ key: nextKey++, price, quantity });

interface Draft {
  id: string;
  version: number;
  status: string;
  /** The bid as saved: unchanged form → no need to save again before submitting. */
  saved: string;
}

type Outcome = { kind: "success" | "error"; text: string; bidId?: string; reload?: boolean } | null;

export default function BidBuilder({ assets, latest, now, formKey, initial }: BidBuilderProps) {
  const [form, setForm] = useState<BuilderForm>(() => {
    if (initial) return { ...initial.form, rows: initial.form.rows.map((r) => newRow(r.price, r.quantity)) };
    const asset = assets[0];
    const zone = asset?.zone ?? "PJM";
    return {
      assetId: asset?.id ?? "",
      market: "DA",
      ...defaultInterval(zone, "DA", new Date(now)),
      side: "offer",
      rows: [newRow()],
    };
  });
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [attempted, setAttempted] = useState(initial?.attempted ?? false);
  const [server, setServer] = useState<Issue[]>(initial?.issues ?? []);
  const [busy, setBusy] = useState<"" | "save" | "submit">("");
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [draft, setDraft] = useState<Draft | null>(() => {
    const e = initial?.editing;
    if (!e) return null;
    const saved = e.fresh
      ? JSON.stringify(formToInput(initial.form, assets.find((a) => a.id === initial.form.assetId)))
      : "";
    return { id: e.id, version: e.version, status: "draft", saved };
  });
  /** The bid last submitted from here: the same again is most likely a double click, not a second bid. */
  const [lastSubmitted, setLastSubmitted] = useState<string | null>(null);
  const [prices, setPrices] = useState<Record<string, LatestPrice>>(latest);
  const [forecast, setForecast] = useState<{ start: string; lmp: number | null } | null>(null);
  const [clock, setClock] = useState(0);
  const createKeys = useRef(new AttemptKeys());
  const submitKeys = useRef(new AttemptKeys());
  const root = useRef<HTMLFormElement>(null);
  const chartBox = useRef<HTMLDivElement>(null);
  const [chartWidth, setChartWidth] = useState<number | undefined>(undefined);

  const asset = assets.find((a) => a.id === form.assetId);
  const zone: Iso = asset?.zone ?? "PJM";
  const input = formToInput(form, asset);
  const start = intervalStartOf(form);

  // The rules depend on the clock (gates close): check again every 20 s as well as on every change.
  useEffect(() => {
    const t = setInterval(() => setClock((c) => c + 1), 20_000);
    return () => clearInterval(t);
  }, []);
  const check = useMemo(
    () => asset ? checkBid(input, { asset, now: new Date() }) : null,
    [JSON.stringify(input), asset, clock],
  );

  // The chart is drawn at its box's size, so its labels stay readable from a phone to a wide screen.
  useEffect(() => {
    const el = chartBox.current;
    if (!el) return;
    const measure = () => setChartWidth(el.clientWidth || undefined);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // The latest price of the asset's zone, again when the zone changes and every minute.
  useEffect(() => {
    let stop = false;
    const load = () =>
      fetch(`/api/market-data/latest?zones=${zone}`, { headers: { accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : null))
        .then((b: { items?: ({ zone: string } & LatestPrice)[] } | null) => {
          const item = b?.items?.find((i) => i.zone === zone);
          if (!stop && item) setPrices((p) => ({ ...p, [zone]: { rt: item.rt, da: item.da } }));
        })
        .catch(() => {/* keep what we have */});
    void load();
    const t = setInterval(load, 60_000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [zone]);

  // The forecast: no forecast service yet, so the published DA price of the interval's hour, if any.
  useEffect(() => {
    if (!start) return;
    const hour = Math.floor(Date.parse(start) / 3_600_000) * 3_600_000;
    const from = new Date(hour).toISOString();
    const to = new Date(hour + 3_600_000).toISOString();
    let stop = false;
    const t = setTimeout(() => {
      fetch(`/api/market-data/history?zone=${zone}&market=DA&from=${from}&to=${to}&limit=1`, {
        headers: { accept: "application/json" },
      })
        .then((r) => (r.ok ? r.json() : null))
        .then((b: { items?: { lmp: number }[] } | null) => {
          if (!stop && b) setForecast({ start: `${zone}|${from}`, lmp: b.items?.[0]?.lmp ?? null });
        })
        .catch(() => {});
    }, 250);
    return () => {
      stop = true;
      clearTimeout(t);
    };
  }, [zone, start]);

  const clientIssues = check && !check.ok ? check.issues : [];
  const visible = clientIssues.filter((i) => attempted || isShown(i.path, touched));
  const errors = issuesByField([...visible, ...server]);
  const err = (key: string) => errors[key];

  function update(patch: Partial<BuilderForm>, touch: string[] = []) {
    setForm((f) => ({ ...f, ...patch }));
    if (touch.length) setTouched((t) => new Set([...t, ...touch]));
    setServer([]);
    setOutcome(null);
  }

  function pickAsset(id: string) {
    const next = assets.find((a) => a.id === id);
    if (!next) return;
    const patch: Partial<BuilderForm> = { assetId: id };
    if (next.kind !== "storage") patch.side = "offer";
    if (next.zone !== zone && !touched.has("interval_start")) {
      Object.assign(patch, defaultInterval(next.zone, form.market, new Date()));
    }
    update(patch, ["asset_id"]);
  }

  function pickMarket(market: Market) {
    const patch: Partial<BuilderForm> = { market };
    if (!touched.has("interval_start")) Object.assign(patch, defaultInterval(zone, market, new Date()));
    update(patch, ["market"]);
  }

  function setRow(i: number, field: "price" | "quantity", value: string) {
    const rows = form.rows.map((r, j) => (j === i ? { ...r, [field]: value } : r));
    update({ rows }, [`segments.${i}.${field}`, "segments"]);
  }

  function addRow() {
    if (form.rows.length >= maxRows(zone)) return;
    const last = form.rows[form.rows.length - 1];
    // A new step starts at the last price, which keeps the curve monotone until the user changes it.
    update({ rows: [...form.rows, newRow(last?.price ?? "")] }, ["segments"]);
  }

  function removeRow(i: number) {
    if (form.rows.length <= 1) return;
    // Row keys follow the rows; touched paths are by index, so everything after the row counts as touched.
    const touch = form.rows.slice(i).flatMap((_, j) => [`segments.${i + j}.price`, `segments.${i + j}.quantity`]);
    update({ rows: form.rows.filter((_, j) => j !== i) }, [...touch, "segments"]);
  }

  function focusFirstError() {
    const el = root.current?.querySelector<HTMLElement>("[aria-invalid=true]");
    el?.focus();
  }

  async function save(andSubmit: boolean) {
    setAttempted(true);
    setOutcome(null);
    if (!check || !check.ok) {
      setTimeout(focusFirstError, 0);
      return;
    }
    const { interval_end: _end, ...body } = check.bid;
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
          setServer(answerIssues(answer));
          setTimeout(focusFirstError, 0);
          return;
        }
        const bid = answer.body as { id: string; version: number; status: string };
        current = { id: bid.id, version: bid.version, status: bid.status, saved };
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
        setServer(issues.filter((i) => i.path !== "_form"));
        setOutcome({
          kind: "error",
          text: `Saved as a draft, but not submitted: ${issues.map((i) => i.message).join("; ")}`,
          bidId: current.id,
        });
        return;
      }
      // Submitted: the builder starts a new bid (same asset, market and curve, for the next interval).
      leaveEdit();
      setDraft(null);
      setLastSubmitted(saved);
      setAttempted(false);
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
    setServer([]);
    setAttempted(false);
  }

  if (!assets.length) {
    return (
      <p class="rounded-md bg-brand-50 px-4 py-3 text-sm text-brand-900 ring-1 ring-brand-100" data-testid="no-assets">
        You have no assets yet. Add a site and an asset (Assets) to bid with it.
      </p>
    );
  }

  const zoneRules = ZONES[zone];
  const limit = asset ? sideLimitMw(asset, form.side) : null;
  const segments = typedSegments(form.rows);
  const total = segments.reduce((s, x) => s + x.quantity, 0);
  const price = prices[zone];
  const lines: RefLine[] = [];
  if (price?.rt) lines.push({ kind: "latest", label: "Latest RT", price: price.rt.lmp });
  const fc = forecast && forecast.start === `${zone}|${start ? hourOf(start) : ""}` ? forecast.lmp : undefined;
  if (typeof fc === "number") lines.push({ kind: "forecast", label: "DA", price: fc });
  const startMs = start ? Date.parse(start) : NaN;
  const deadline = Number.isFinite(startMs) ? submissionDeadline(zone, form.market, startMs) : null;
  const rowsMax = maxRows(zone);

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
        void save(submitter?.value === "submit");
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

      <div class="grid gap-4 sm:grid-cols-2">
        <Labelled id="bb-asset" label="Asset" errors={err("asset_id") ?? err("zone")} field="asset_id">
          <select
            id="bb-asset"
            name="asset_id"
            class={control(err("asset_id") ?? err("zone"))}
            aria-invalid={err("asset_id") || err("zone") ? "true" : undefined}
            aria-describedby="bb-asset-hint bb-asset-errors"
            onChange={(e) => pickAsset(e.currentTarget.value)}
          >
            {assets.map((a) => (
              <option key={a.id} value={a.id} selected={a.id === form.assetId}>
                {a.name} · {a.site_name}
              </option>
            ))}
          </select>
          {asset && (
            <p id="bb-asset-hint" class="text-xs text-slate-500" data-testid="asset-zone">
              Zone <span class="font-semibold text-slate-700">{asset.zone}</span> (the asset's) · {asset.kind} ·{" "}
              {asset.kind === "storage"
                ? `discharge ${asset.discharge_mw ?? asset.capacity_mw} MW, charge ${
                  asset.charge_mw ?? asset.capacity_mw
                } MW`
                : `${asset.capacity_mw} MW`}
            </p>
          )}
        </Labelled>

        <fieldset class="space-y-1">
          <legend class="block text-sm font-medium text-slate-700">Market</legend>
          <div class="grid grid-cols-2 gap-2" role="radiogroup">
            {(["DA", "RT"] as const).map((m) => (
              <Choice
                key={m}
                name="market"
                value={m}
                checked={form.market === m}
                onChange={() => pickMarket(m)}
                label={m === "DA" ? "Day-ahead" : "Real-time"}
                detail={m === "DA" ? "hourly" : `${zoneRules.rtIntervalMinutes}-minute`}
              />
            ))}
          </div>
          <FieldErrors id="bb-market-errors" field="market" messages={err("market")} />
        </fieldset>
      </div>

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

      <div class="grid gap-5 lg:grid-cols-2">
        <fieldset class="min-w-0 space-y-2">
          <legend class="block text-sm font-medium text-slate-700">
            Curve{" "}
            <span class="font-normal text-slate-500">
              ({form.side === "offer" ? "prices must not decrease" : "prices must not increase"}; up to {rowsMax}{" "}
              segments)
            </span>
          </legend>
          <table class="w-full table-fixed text-sm" data-testid="curve-table">
            <thead class="text-left text-xs text-slate-500">
              <tr>
                <th class="w-7 py-1 font-medium">#</th>
                <th class="py-1 pr-2 font-medium">Price $/MWh</th>
                <th class="py-1 pr-2 font-medium">Quantity MW</th>
                <th class="w-10 py-1">
                  <span class="sr-only">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {form.rows.map((r, i) => {
                const pe = err(`segments.${i}.price`);
                const qe = err(`segments.${i}.quantity`);
                return (
                  <Fragment key={r.key}>
                    <tr class="align-top" data-row={i}>
                      <td class="py-1.5 pt-3.5 text-xs tabular-nums text-slate-500">{i + 1}</td>
                      <td class="py-1.5 pr-2">
                        <label for={`bb-price-${i}`} class="sr-only">Segment {i + 1} price ($/MWh)</label>
                        <input
                          id={`bb-price-${i}`}
                          name={`segments.${i}.price`}
                          type="number"
                          step="any"
                          inputMode="decimal"
                          placeholder="e.g. 35"
                          value={r.price}
                          class={control(pe)}
                          aria-invalid={pe ? "true" : undefined}
                          aria-describedby={pe ? `bb-price-${i}-errors` : undefined}
                          onInput={(e) => setRow(i, "price", e.currentTarget.value)}
                        />
                      </td>
                      <td class="py-1.5 pr-2">
                        <label for={`bb-qty-${i}`} class="sr-only">Segment {i + 1} quantity (MW)</label>
                        <input
                          id={`bb-qty-${i}`}
                          name={`segments.${i}.quantity`}
                          type="number"
                          step="any"
                          min="0"
                          inputMode="decimal"
                          placeholder="MW"
                          value={r.quantity}
                          class={control(qe)}
                          aria-invalid={qe ? "true" : undefined}
                          aria-describedby={qe ? `bb-qty-${i}-errors` : undefined}
                          onInput={(e) => setRow(i, "quantity", e.currentTarget.value)}
                        />
                      </td>
                      <td class="py-1.5 text-right">
                        <button
                          type="submit"
                          name="action"
                          value={`remove:${i}`}
                          class="inline-flex h-9 w-9 items-center justify-center rounded-md text-slate-500 ring-1 ring-slate-200 hover:bg-slate-50 hover:text-red-600 disabled:opacity-40"
                          aria-label={`Remove segment ${i + 1}`}
                          disabled={form.rows.length <= 1}
                          onClick={(e) => {
                            e.preventDefault();
                            removeRow(i);
                          }}
                        >
                          ×
                        </button>
                      </td>
                    </tr>
                    {(pe || qe) && (
                      // The row's messages span the row (a price column is too narrow for them on a phone).
                      <tr data-row-errors={i}>
                        <td />
                        <td colSpan={3} class="pb-2 pr-2">
                          <FieldErrors id={`bb-price-${i}-errors`} field={`segments.${i}.price`} messages={pe} />
                          <FieldErrors id={`bb-qty-${i}-errors`} field={`segments.${i}.quantity`} messages={qe} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
          <div class="flex flex-wrap items-center justify-between gap-2">
            <button
              type="submit"
              name="action"
              value="add_row"
              class="rounded-md bg-white px-3 py-1.5 text-sm font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50 disabled:opacity-50"
              disabled={form.rows.length >= rowsMax}
              onClick={(e) => {
                e.preventDefault();
                addRow();
              }}
            >
              + Add segment
            </button>
            <span class="text-xs tabular-nums text-slate-500" data-testid="curve-total">
              Total {Number(total.toFixed(3))} MW{limit !== null && ` of ${limit} MW`}
            </span>
          </div>
          <FieldErrors id="bb-segments-errors" field="segments" messages={err("segments")} />
        </fieldset>

        <div class="min-w-0 space-y-2" ref={chartBox}>
          <CurveChart
            segments={segments}
            side={form.side}
            lines={lines}
            testId="curve-chart"
            emptyText="Type a price and a quantity to see the curve."
            width={chartWidth}
            height={chartWidth ? Math.min(260, Math.max(180, chartWidth * 0.6)) : undefined}
          />
          <dl class="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
            <dt class="text-slate-500">Latest RT, {zone}</dt>
            <dd class="tabular-nums text-slate-800" data-testid="latest-price">
              {price?.rt
                ? `${usd(price.rt.lmp)}/MWh at ${utcMinute(price.rt.interval_start).slice(11)} UTC`
                : "no price yet"}
            </dd>
            <dt class="text-slate-500">Forecast</dt>
            <dd class="text-slate-800" data-testid="forecast">
              {typeof fc === "number"
                ? `DA price of this hour: ${usd(fc)}/MWh (published)`
                : <span class="text-slate-500">no forecast yet</span>}
            </dd>
          </dl>
        </div>
      </div>

      <FieldErrors id="bb-form-errors" field="_form" messages={err("_form")} />
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
          {busy === "save" ? "Saving…" : draft ? "Save changes" : "Save draft"}
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
    </form>
  );
}

/** The builder holds no draft any more: a reload must not open the one of ?edit= again. */
function leaveEdit() {
  if (new URLSearchParams(location.search).has("edit")) history.replaceState(null, "", "/bidding");
}

function changed() {
  globalThis.dispatchEvent?.(new CustomEvent(BIDS_CHANGED_EVENT));
}

function hourOf(start: string): string {
  return new Date(Math.floor(Date.parse(start) / 3_600_000) * 3_600_000).toISOString();
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
      message: "Your session has ended: sign in again (in another tab) and retry.",
      code: "401",
    }];
  }
  return serverIssues(answer.body, answer.status);
}

/**
 * Whether a rule's message shows before the user tried to save: the fields of a segment once typed in,
 * rules about the whole curve once any segment was; the rest (asset, interval, side) at once.
 */
function isShown(path: string, touched: ReadonlySet<string>): boolean {
  if (path.startsWith("segments.")) {
    const field = /^segments\.\d+\.(price|quantity)$/.test(path)
      ? path
      : path.replace(/^(segments\.\d+).*/, "$1.price");
    return touched.has(field);
  }
  if (path === "segments") return touched.has("segments");
  return true;
}

function control(errors: string[] | undefined, padding = "px-3"): string {
  return `block w-full min-w-0 rounded-md border bg-white ${padding} py-2 text-sm shadow-sm focus:outline-none focus:ring-2 ${
    errors
      ? "border-red-400 focus:border-red-500 focus:ring-red-200"
      : "border-slate-300 focus:border-brand-500 focus:ring-brand-100"
  }`;
}

function Labelled(
  props: { id: string; label: string; errors?: string[]; field: string; children: ComponentChildren },
) {
  return (
    <div class="min-w-0 space-y-1">
      <label for={props.id} class="block text-sm font-medium text-slate-700">{props.label}</label>
      {props.children}
      <FieldErrors id={`${props.id}-errors`} field={props.field} messages={props.errors} />
    </div>
  );
}

function FieldErrors(props: { id: string; field: string; messages?: string[] }) {
  if (!props.messages?.length) return null;
  return (
    <ul id={props.id} class="space-y-0.5 text-xs text-red-600" data-field-error={props.field} aria-live="polite">
      {props.messages.map((m) => <li key={m}>{m}</li>)}
    </ul>
  );
}

function Choice(props: {
  name: string;
  value: string;
  checked: boolean;
  disabled?: boolean;
  onChange: () => void;
  label: string;
  detail: string;
}) {
  return (
    <label
      class={`flex cursor-pointer items-center gap-2 rounded-md border px-3 py-2 text-sm ${
        props.checked ? "border-brand-500 bg-brand-50 ring-1 ring-brand-500" : "border-slate-300 bg-white"
      } ${props.disabled ? "cursor-not-allowed opacity-50" : "hover:border-brand-500"}`}
    >
      <input
        type="radio"
        name={props.name}
        value={props.value}
        checked={props.checked}
        disabled={props.disabled}
        onChange={props.onChange}
        class="h-4 w-4 accent-brand-600"
      />
      <span class="flex min-w-0 flex-col leading-tight sm:flex-row sm:items-baseline sm:gap-2">
        <span class="font-medium">{props.label}</span>
        <span class="truncate text-xs text-slate-500">{props.detail}</span>
      </span>
    </label>
  );
}
