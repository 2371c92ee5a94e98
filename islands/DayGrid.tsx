/**
 * The day grid: a whole DA operating day for one asset, one row per hour (HE1–HE24; 23 or 25 on DST
 * days) × the curve's segments, beside each hour's forecast (P10/P50/P90) and its published DA price.
 * Edited like a spreadsheet (arrows and Enter move, a TSV block pastes, Ctrl+D fills down, an hour copies
 * to all / peak / off-peak hours, yesterday's day copies in, Clear empties it), checked as you type with
 * the server's rules (components/day_grid.ts), and sent as ONE batch (POST /api/bids/batch, submit, with
 * an Idempotency-Key that a retry reuses): the whole day is submitted, or nothing is.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { getJson } from "../components/api_client.ts";
import { AttemptKeys, send } from "../components/bid_api.ts";
import {
  addDays,
  applyTemplate,
  cellKey,
  clearGrid,
  copyDay,
  copyHour,
  type CopyTarget,
  type DayGrid as Grid,
  dayHours,
  dayRange,
  defaultDay,
  emptyGrid,
  fillDown,
  gridBids,
  type GridIssues,
  parseTsv,
  pasteBlock,
  serverIssues,
  setCell,
  setSide,
  type TemplateHour,
  templateHours,
  validateDay,
  withHours,
  withSegments,
} from "../components/day_grid.ts";
import { fetchForecasts, type ForecastItem } from "../components/forecast_api.ts";
import { mountSessionPrompt } from "../components/SessionPrompt.tsx";
import type { CommitmentBid, StorageLimits } from "../services/bids/feasibility.ts";
import { type AssetKind, type BidSide, MAX_SEGMENTS } from "../services/bids/schema.ts";
import { priceIn, type PriceUnit } from "../services/market/units.ts";
import { messageInUnit } from "../services/market/price_input.ts";
import { formatMarketTime, marketClock, zoneLabel } from "../services/market/market_time.ts";
import { gateClosureUtc, type Iso, ZONES } from "../services/market/zones.ts";

export interface DayAsset extends StorageLimits {
  id: string;
  name: string;
  kind: AssetKind;
  zone: Iso;
}

export interface DayGridProps {
  assets: DayAsset[];
  /** The server's clock when the page was made (ISO). */
  now: string;
  canForecast?: boolean;
  /**
   * The viewer's price unit (/settings): the forecast and DA columns and the curve's price cells are in it;
   * the cells go to the API in $/MWh (converted exactly). Quantities stay MW: they are power, not energy.
   */
  priceUnit?: PriceUnit;
}

type StoredBid = CommitmentBid & { id: string; status: CommitmentBid["status"]; interval_start: string };

/** Bids of the day a new version replaces: drafts, and submitted bids (the server refuses them after the gate). */
const replaceable = (items: readonly StoredBid[]) =>
  items.filter((b) => b.status === "draft" || b.status === "submitted");

const gridIsBlank = (g: Grid) => g.rows.every((r) => r.cells.every((c) => c.trim() === ""));

interface Template {
  id: string;
  name: string;
  asset_kind: AssetKind;
  hours: TemplateHour[];
}

type Outcome = { kind: "ok" | "error"; text: string } | null;

const money = (x: number | null | undefined, unit: PriceUnit) =>
  x == null ? "—" : priceIn(x, unit).toFixed(unit === "¢/kWh" ? 3 : 2);

async function bidsOf(assetId: string, range: { from: string; to: string }): Promise<StoredBid[] | null> {
  const body = await getJson<{ items: StoredBid[] }>(
    `/api/bids?asset_id=${assetId}&market=DA&from=${range.from}&to=${range.to}&limit=500`,
  );
  return body ? body.items : null;
}

export default function DayGrid({ assets, now, canForecast = false, priceUnit = "$/MWh" }: DayGridProps) {
  const [assetId, setAssetId] = useState(assets[0]?.id ?? "");
  const asset = assets.find((a) => a.id === assetId) ?? assets[0];
  const zone: Iso = asset?.zone ?? "PJM";
  const [date, setDate] = useState(() => defaultDay(zone, new Date(now)));
  const hours = useMemo(() => dayHours(zone, date), [zone, date]);
  const sideDefault: BidSide = "offer";
  const [grid, setGrid] = useState<Grid>(() => emptyGrid(hours.length, 3, sideDefault));
  const [live, setLive] = useState<StoredBid[]>([]);
  const [forecast, setForecast] = useState<Record<string, ForecastItem>>({});
  const [da, setDa] = useState<Record<string, number>>({});
  const [server, setServer] = useState<GridIssues | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  const [focus, setFocus] = useState<{ row: number; col: number }>({ row: 0, col: 0 });
  const keys = useRef(new AttemptKeys());
  const [templates, setTemplates] = useState<Template[]>([]);
  const [templateId, setTemplateId] = useState("");
  const [templateName, setTemplateName] = useState("");
  const table = useRef<HTMLTableElement>(null);
  const [clock, setClock] = useState(() => new Date(now));
  useEffect(mountSessionPrompt, []);
  // The gate is judged at the browser's time from here on (the server's check is the one that counts).
  useEffect(() => {
    setClock(new Date());
    const t = setInterval(() => setClock(new Date()), 30_000);
    return () => clearInterval(t);
  }, []);

  // Another day may have another number of hours (DST): rows follow by position.
  useEffect(() => setGrid((g) => (g.rows.length === hours.length ? g : withHours(g, hours.length, sideDefault))), [
    hours.length,
  ]);

  // The organization's templates that fit this asset's kind.
  const kind = asset?.kind;
  useEffect(() => {
    if (!kind) return;
    let stop = false;
    getJson<{ items: Template[] }>(`/api/bid-templates?asset_kind=${kind}&limit=500`).then((b) => {
      if (!stop && b) setTemplates(b.items);
    }).catch(() => {});
    return () => {
      stop = true;
    };
  }, [kind]);

  // What the day's hours already hold (live bids count against the asset), the forecast and the DA prices.
  useEffect(() => {
    if (!asset) return;
    let stop = false;
    const range = dayRange(zone, date);
    setLive([]);
    setForecast({});
    setDa({});
    bidsOf(asset.id, range).then((items) => {
      if (stop || !items) return;
      setLive(items);
      // A day that already has bids opens with them: submitting the grid then sends their new version.
      const current = replaceable(items);
      if (current.length) setGrid((g) => (gridIsBlank(g) ? copyDay(g, hours, zone, date, current, priceUnit) : g));
    }).catch(() => {});
    getJson<{ items: { interval_start: string; lmp: number }[] }>(
      `/api/market-data/history?zone=${zone}&market=DA&from=${range.from}&to=${range.to}&limit=100`,
    ).then((b) => {
      if (stop || !b) return;
      setDa(Object.fromEntries(b.items.map((i) => [new Date(i.interval_start).toISOString(), i.lmp])));
    }).catch(() => {});
    if (canForecast) {
      fetchForecasts(zone, new Date(range.from), new Date(range.to)).then((items) => {
        if (stop || !items) return;
        setForecast(Object.fromEntries(items.map((i) => [new Date(i.interval_start).toISOString(), i])));
      }).catch(() => {});
    }
    return () => {
      stop = true;
    };
  }, [asset?.id, zone, date]);

  // The day's drafts and submitted bids are replaced by the grid when it is submitted: only the rest
  // (cleared, settled) still counts against the asset beside the grid's rows.
  const replaced = useMemo(() => replaceable(live), [live]);
  const issues = useMemo(
    () =>
      asset
        ? validateDay(grid, hours, asset, clock, live.filter((b) => !replaced.includes(b)), priceUnit)
        : { cells: {}, rows: {}, count: 0 },
    [grid, hours, asset, clock, live, replaced, priceUnit],
  );
  const filled = useMemo(() => (asset ? gridBids(grid, hours, asset.id, priceUnit).bids.length : 0), [
    grid,
    hours,
    asset,
  ]);

  if (!asset) {
    return (
      <p class="rounded-md bg-brand-50 px-4 py-3 text-sm text-brand-900 ring-1 ring-brand-100" data-testid="no-assets">
        You have no assets yet. Add a site and an asset (Assets) to bid with it.
      </p>
    );
  }
  const storage = asset.kind === "storage";
  const gate = gateClosureUtc(zone, date);
  const cols = grid.segments * 2;

  const change = (g: Grid) => {
    setGrid(g);
    setServer(null);
    setOutcome(null);
  };
  const focusCell = (row: number, col: number) => {
    const r = Math.max(0, Math.min(hours.length - 1, row));
    const c = Math.max(0, Math.min(cols - 1, col));
    setFocus({ row: r, col: c });
    table.current?.querySelector<HTMLInputElement>(`[data-cell="${cellKey(r, c)}"]`)?.focus();
  };

  const onKey = (e: KeyboardEvent, row: number, col: number) => {
    const input = e.currentTarget as HTMLInputElement;
    const atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    const atEnd = input.selectionStart === input.value.length;
    if (e.key === "ArrowDown" || (e.key === "Enter" && !e.shiftKey)) focusCell(row + 1, col);
    else if (e.key === "ArrowUp" || (e.key === "Enter" && e.shiftKey)) focusCell(row - 1, col);
    else if (e.key === "ArrowLeft" && atStart) focusCell(row, col - 1);
    else if (e.key === "ArrowRight" && atEnd) focusCell(row, col + 1);
    else if (e.key.toLowerCase() === "d" && (e.ctrlKey || e.metaKey)) change(fillDown(grid, row, col));
    else return;
    e.preventDefault();
  };

  const onPaste = (e: ClipboardEvent, row: number, col: number) => {
    const text = e.clipboardData?.getData("text/plain") ?? "";
    if (!/[\t\n]/.test(text.replace(/\r?\n$/, ""))) return; // one value: the input takes it as usual
    e.preventDefault();
    const { grid: next, dropped } = pasteBlock(grid, row, col, parseTsv(text));
    change(next);
    if (dropped) setOutcome({ kind: "error", text: `${dropped} pasted row(s) fell past the day's last hour.` });
  };

  const copyTo = (to: CopyTarget) => change(copyHour(grid, hours, focus.row, to));

  const copyYesterday = async () => {
    const y = addDays(date, -1);
    const items = await bidsOf(asset.id, dayRange(zone, y));
    if (!items) return setOutcome({ kind: "error", text: "Could not read yesterday's bids; try again." });
    const wanted = items.filter((b) => b.status !== "withdrawn" && b.status !== "rejected");
    if (!wanted.length) return setOutcome({ kind: "error", text: `No bids for ${asset.name} on ${y}.` });
    change(copyDay(grid, hours, zone, y, wanted, priceUnit));
  };

  const saveTemplate = async () => {
    const name = templateName.trim();
    if (!name) return setOutcome({ kind: "error", text: "Template name: type a name to save the day under." });
    const t = templateHours(grid, hours, priceUnit);
    if (!t.hours) return setOutcome({ kind: "error", text: `Cannot save the template: ${t.problem}.` });
    const a = await send("/api/bid-templates", {
      method: "POST",
      body: { name, asset_kind: asset.kind, hours: t.hours },
    });
    if (!a.ok) {
      const message = (a.body as { error?: { message?: string } })?.error?.message;
      return setOutcome({ kind: "error", text: `Template not saved: ${message ?? `status ${a.status}`}` });
    }
    const saved = a.body as Template;
    setTemplates((ts) => [...ts.filter((x) => x.id !== saved.id), saved].sort((x, y) => x.name.localeCompare(y.name)));
    setTemplateId(saved.id);
    setTemplateName("");
    setOutcome({ kind: "ok", text: `Saved template "${saved.name}" (${t.hours.length} hours, ${asset.kind}).` });
  };

  const useTemplate = () => {
    const t = templates.find((x) => x.id === templateId);
    if (!t) return setOutcome({ kind: "error", text: "Choose a template to apply." });
    change(applyTemplate(grid, hours, t.hours, priceUnit));
  };

  /** The day as one batch: submitted (replacing the day's drafts and submitted bids), or saved as drafts (replacing its drafts). */
  const submit = async (submitIt = true) => {
    const { bids, rows } = gridBids(grid, hours, asset.id, priceUnit);
    const old = submitIt ? replaced : replaced.filter((b) => b.status === "draft");
    if (!bids.length || issues.count) {
      setOutcome({
        kind: "error",
        text: bids.length ? `Fix the ${issues.count} issue(s) marked in the grid first.` : "The day is empty.",
      });
      return;
    }
    setBusy(true);
    setOutcome(null);
    try {
      const body = old.length ? { bids, submit: submitIt, replaces: old.map((b) => b.id) } : { bids, submit: submitIt };
      const a = await send("/api/bids/batch", { method: "POST", body, keys: keys.current });
      if (a.ok) {
        const n = (a.body as { items: unknown[] }).items.length;
        setOutcome({
          kind: "ok",
          text:
            `${submitIt ? "Submitted" : "Saved as drafts:"} ${n} bids for ${asset.name}, ${
              zoneLabel(zone)
            } operating day ${date}` + (old.length ? `, replacing the ${old.length} sent before.` : "."),
        });
        setServer(null);
        const fresh = await bidsOf(asset.id, dayRange(zone, date));
        if (fresh) setLive(fresh);
        return;
      }
      const found = serverIssues(a.body, rows, priceUnit);
      setServer(found.count ? found : null);
      const message = (a.body as { error?: { message?: string } })?.error?.message;
      setOutcome({
        kind: "error",
        text: a.status === 0
          ? "No answer from the server; press Submit again to retry safely (nothing is sent twice)."
          : message !== undefined
          ? messageInUnit(message, priceUnit)
          : `Refused (${a.status})`,
      });
    } finally {
      setBusy(false);
    }
  };

  const cellIssues = (row: number, col: number) => [
    ...(issues.cells[cellKey(row, col)] ?? []),
    ...(server?.cells[cellKey(row, col)] ?? []),
  ];
  const rowIssues = (row: number) => [...(issues.rows[row] ?? []), ...(server?.rows[row] ?? [])];
  const liveHere = live.filter((b) => b.status === "submitted" || b.status === "cleared" || b.status === "settled");

  return (
    <div class="space-y-4" data-testid="day-grid">
      <div class="grid gap-3 sm:grid-cols-3">
        <label class="block text-sm font-medium text-slate-700">
          Asset
          <select
            id="dg-asset"
            class="mt-1 block w-full rounded-md border-slate-300 text-sm"
            value={asset.id}
            onChange={(e) => {
              const next = assets.find((a) => a.id === (e.currentTarget as HTMLSelectElement).value);
              if (!next) return;
              setAssetId(next.id);
              if (next.zone !== zone) setDate(defaultDay(next.zone, new Date()));
              setServer(null);
              setOutcome(null);
            }}
          >
            {assets.map((a) => <option key={a.id} value={a.id}>{a.name} ({a.zone}, {a.kind})</option>)}
          </select>
        </label>
        <label class="block text-sm font-medium text-slate-700">
          Operating day ({zoneLabel(zone)}, {marketClock(zone).name})
          <input
            id="dg-date"
            type="date"
            class="mt-1 block w-full rounded-md border-slate-300 text-sm"
            value={date}
            onChange={(e) => {
              const v = (e.currentTarget as HTMLInputElement).value;
              if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
                setDate(v);
                setServer(null);
                setOutcome(null);
              }
            }}
          />
        </label>
        <label class="block text-sm font-medium text-slate-700">
          Segments per hour
          <select
            id="dg-segments"
            class="mt-1 block w-full rounded-md border-slate-300 text-sm"
            value={String(grid.segments)}
            onChange={(e) => change(withSegments(grid, Number((e.currentTarget as HTMLSelectElement).value)))}
          >
            {Array.from({ length: Math.min(MAX_SEGMENTS, ZONES[zone].maxOfferSegments) }, (_, i) => i + 1).map((n) => (
              <option key={n} value={String(n)}>{n}</option>
            ))}
          </select>
        </label>
      </div>
      <p class="text-xs text-slate-600" data-testid="dg-gate">
        {gate.getTime() > clock.getTime() ? "DA gate for this day closes " : "DA gate for this day closed "}
        {formatMarketTime(zone, gate)}.
      </p>
      <p class="text-xs text-slate-600" data-testid="dg-summary">
        {hours.length} hours · {filled} filled · {liveHere.length} live bid(s) already on this day ·{" "}
        {issues.count ? <span class="font-semibold text-red-700">{issues.count} issue(s)</span> : "no issues"} · prices
        {" "}
        {priceUnit}, quantities MW; paste a block from a spreadsheet into any cell.
      </p>
      <div class="flex flex-wrap gap-2 text-xs" role="toolbar" aria-label="Grid actions">
        {([
          ["all", "Copy hour to all hours"],
          ["peak", "Copy hour to peak (HE8–23)"],
          ["offpeak", "Copy hour to off-peak"],
        ] as const).map(([to, text]) => (
          <button
            key={to}
            type="button"
            data-action={`copy-${to}`}
            class="rounded-md bg-white px-2.5 py-1.5 font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50"
            onClick={() => copyTo(to)}
          >
            {text.replace("hour", hours[focus.row]?.label ?? "hour")}
          </button>
        ))}
        <button
          type="button"
          data-action="fill-down"
          class="rounded-md bg-white px-2.5 py-1.5 font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50"
          onClick={() => change(fillDown(grid, focus.row, focus.col))}
        >
          Fill down (Ctrl+D)
        </button>
        <button
          type="button"
          data-action="copy-yesterday"
          class="rounded-md bg-white px-2.5 py-1.5 font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50"
          onClick={() => void copyYesterday()}
        >
          Copy yesterday's day
        </button>
        <button
          type="button"
          data-action="clear"
          class="rounded-md bg-white px-2.5 py-1.5 font-semibold text-red-700 ring-1 ring-slate-300 hover:bg-red-50"
          onClick={() => change(clearGrid(grid))}
        >
          Clear
        </button>
      </div>
      <div class="flex flex-wrap items-end gap-2 text-xs" data-testid="dg-templates">
        <label class="block font-medium text-slate-700">
          Template ({asset.kind})
          <select
            id="dg-template"
            class="mt-1 block w-48 rounded-md border-slate-300 text-xs"
            value={templateId}
            onChange={(e) => setTemplateId((e.currentTarget as HTMLSelectElement).value)}
          >
            <option value="">{templates.length ? "Choose…" : "None saved yet"}</option>
            {templates.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
          </select>
        </label>
        <button
          type="button"
          data-action="apply-template"
          class="rounded-md bg-white px-2.5 py-1.5 font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50"
          onClick={useTemplate}
        >
          Apply to this day
        </button>
        <label class="block font-medium text-slate-700">
          Template name
          <input
            id="dg-template-name"
            maxLength={100}
            class="mt-1 block w-48 rounded-md border-slate-300 text-xs"
            value={templateName}
            onInput={(e) => setTemplateName((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <button
          type="button"
          data-action="save-template"
          class="rounded-md bg-white px-2.5 py-1.5 font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50"
          onClick={() => void saveTemplate()}
        >
          Save day as template
        </button>
      </div>
      <div class="max-h-[70vh] overflow-auto rounded-md ring-1 ring-slate-200">
        <table ref={table} class="min-w-full border-collapse text-xs" data-testid="dg-table">
          <thead class="sticky top-0 z-10 bg-slate-50 text-left text-slate-600">
            <tr>
              <th class="sticky left-0 bg-slate-50 px-2 py-1.5">Hour</th>
              {storage && <th class="px-2 py-1.5">Side</th>}
              {Array.from({ length: grid.segments }, (_, k) => [
                <th key={`p${k}`} class="px-1 py-1.5">{priceUnit} {k + 1}</th>,
                <th key={`q${k}`} class="px-1 py-1.5">MW {k + 1}</th>,
              ])}
              {canForecast && (
                <th class="px-2 py-1.5" title={`Forecast P10 / P50 / P90, ${priceUnit}`}>
                  Forecast ({priceUnit})
                </th>
              )}
              <th class="px-2 py-1.5">DA ({priceUnit})</th>
            </tr>
          </thead>
          <tbody>
            {hours.map((h, row) => {
              const r = grid.rows[row] ?? { side: sideDefault, cells: [] };
              const fc = forecast[h.start];
              const rowMsgs = rowIssues(row);
              const msgs = [
                ...rowMsgs,
                ...Array.from({ length: cols }, (_, c) => cellIssues(row, c)).flat(),
              ];
              return [
                <tr key={h.start} data-row={row} data-he={h.label} class="border-t border-slate-100">
                  <th
                    scope="row"
                    class={`sticky left-0 bg-white px-2 py-1 font-mono ${rowMsgs.length ? "text-red-700" : ""}`}
                  >
                    {h.label}
                  </th>
                  {storage && (
                    <td class="px-1">
                      <select
                        aria-label={`${h.label} side`}
                        data-side={row}
                        class="rounded border-slate-300 py-0.5 text-xs"
                        value={r.side}
                        onChange={(e) =>
                          change(setSide(grid, row, (e.currentTarget as HTMLSelectElement).value as BidSide))}
                      >
                        <option value="offer">Discharge</option>
                        <option value="bid">Charge</option>
                      </select>
                    </td>
                  )}
                  {Array.from({ length: cols }, (_, col) => {
                    const bad = cellIssues(row, col).length > 0;
                    return (
                      <td key={col} class="px-0.5 py-0.5">
                        <input
                          data-cell={cellKey(row, col)}
                          aria-label={col % 2
                            ? `${h.label} MW ${col / 2 + 0.5}`
                            : `${h.label} price ${col / 2 + 1} (${priceUnit})`}
                          aria-invalid={bad ? "true" : undefined}
                          inputMode="decimal"
                          autocomplete="off"
                          class={`w-16 rounded border px-1 py-0.5 text-right font-mono text-xs ${
                            bad ? "border-red-500 bg-red-50" : "border-slate-300"
                          }`}
                          value={r.cells[col] ?? ""}
                          onFocus={() => setFocus({ row, col })}
                          onInput={(e) => change(setCell(grid, row, col, (e.currentTarget as HTMLInputElement).value))}
                          onKeyDown={(e) => onKey(e as KeyboardEvent, row, col)}
                          onPaste={(e) => onPaste(e as ClipboardEvent, row, col)}
                        />
                      </td>
                    );
                  })}
                  {canForecast && (
                    <td class="whitespace-nowrap px-2 font-mono text-slate-600" data-forecast={row}>
                      {fc
                        ? `${money(fc.p10, priceUnit)} / ${money(fc.p50, priceUnit)} / ${money(fc.p90, priceUnit)}`
                        : "—"}
                    </td>
                  )}
                  <td class="px-2 font-mono text-slate-600" data-da={row}>{money(da[h.start], priceUnit)}</td>
                </tr>,
                msgs.length > 0 && (
                  <tr key={`${h.start}-issues`}>
                    <td colSpan={cols + 4} class="px-2 pb-1 text-xs text-red-700" data-row-issues={row}>
                      {msgs.join(" · ")}
                    </td>
                  </tr>
                ),
              ];
            })}
          </tbody>
        </table>
      </div>
      {outcome && (
        <div
          role={outcome.kind === "error" ? "alert" : "status"}
          data-testid="dg-outcome"
          class={`rounded-md px-4 py-3 text-sm ring-1 ${
            outcome.kind === "error"
              ? "bg-red-50 text-red-800 ring-red-200"
              : "bg-emerald-50 text-emerald-800 ring-emerald-200"
          }`}
        >
          {outcome.text}
        </div>
      )}
      <div class="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <button
          type="button"
          data-action="save-drafts"
          disabled={busy}
          class="inline-flex items-center justify-center rounded-md bg-white px-4 py-2 text-sm font-semibold text-slate-700 shadow-sm ring-1 ring-slate-300 hover:bg-slate-50 disabled:opacity-60"
          onClick={() => void submit(false)}
        >
          Save the day as drafts
        </button>
        <button
          type="button"
          data-action="submit-day"
          disabled={busy}
          class="inline-flex items-center justify-center rounded-md bg-brand-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-brand-700 disabled:opacity-60"
          onClick={() => void submit(true)}
        >
          {busy
            ? "Submitting…"
            : replaced.length
            ? `Submit the new version (${filled} hours, replaces ${replaced.length})`
            : `Submit the day (${filled} hours)`}
        </button>
      </div>
    </div>
  );
}
