/**
 * CSV replay: real price files turned into PriceTicks, streamed, and a schedule to play them at a speed.
 *
 * Two formats, recognised by their header:
 * - gridstatus' LMP schema: `Interval Start, Interval End, Market, Location, Location Type, LMP, Energy,
 *   Congestion, Loss` (times ISO-8601 with a UTC offset; `Market` like DAY_AHEAD_HOURLY, REAL_TIME_5_MIN).
 *   The schema has no ISO column: the zone comes from the `zone` option, else from a known hub name.
 *   Optional load columns, in MW: `Load` (actual system load) and `Load Forecast` (the day-ahead load forecast,
 *   known before the DA gate of its day). Read on hourly rows only (DA rows, or any 1-hour interval) and handed
 *   to `onLoad`, one point per interval; the forecast job uses `Load Forecast` as its exogenous input.
 * - PJM Data Miner 2 `da_hrl_lmps` / `rt_hrl_lmps` exports: `datetime_beginning_utc` (M/D/YYYY h:mm:ss AM),
 *   `pnode_name`, `system_energy_price_{da|rt}`, `total_lmp_*`, `congestion_price_*`,
 *   `marginal_loss_price_*`, `row_is_current`. Zone "PJM"; RT rows are hourly (1-hour intervals).
 *
 * A PriceTick has no location, so one file replays one location as the zone's price (`location` option;
 * default: the first seen). Every location's rows — the replayed one's too — can also be taken as location
 * prices (`onLocationPrice`): a PJM hub file's real per-hub prices, for virtual bids at each hub. Times are taken from UTC instants only — never from local wall-clock columns — so DST days
 * come out with 23 or 25 distinct hours instead of a missing or doubled one.
 */
import { csvRecords, type CsvSource } from "../csv_records.ts";
import { canonicalLocation, VIRTUAL_RULES } from "../bids/virtual_rules.ts";
import type { LoadPoint, LocationPrice, Market, PriceTick } from "./types.ts";
import { isIso, type Iso } from "./zones.ts";

export type ReplayFormat = "gridstatus" | "pjm";

export interface ReplayOptions {
  /** Zone of a gridstatus file (required unless its hub name is recognised). PJM files are always PJM. */
  zone?: Iso;
  /** Location (hub/node) to replay, matched case-insensitively; default: the first location in the file. */
  location?: string;
  /** Ticks per yielded batch (1–5000, default 500: a TickBatch holds at most 5000). */
  batchSize?: number;
  /** Skip (and count) rows that cannot be read instead of failing on the first one. */
  skipInvalid?: boolean;
  /** Receives the load of hourly rows that carry a `Load` or `Load Forecast` value (gridstatus files). */
  onLoad?: (point: LoadPoint) => void;
  /**
   * Receives the price of every row of every location of the zone (the replayed one included), named as
   * bids name it (services/bids/virtual_rules.ts `canonicalLocation`). Rows of other locations are only read
   * when this is given.
   */
  onLocationPrice?: (price: LocationPrice) => void;
}

/** What a replay read, returned when the generator finishes. */
export interface ReplaySummary {
  format: ReplayFormat;
  zone: Iso;
  location: string;
  rows: number;
  ticks: number;
  skipped: { otherLocation: number; notCurrent: number; duplicate: number; invalid: number };
  /** Load points handed to `onLoad`. */
  load: number;
  /** Location prices handed to `onLocationPrice`. */
  locationPrices: number;
  /** Rows whose own energy + congestion + loss differs from their LMP by more than a cent (LMP wins). */
  inconsistent: number;
  /** First reasons rows were skipped as invalid (line numbers are 1-based file lines). */
  errors: string[];
  /** Distinct locations seen (first 100). */
  locations: string[];
}

export class ReplayError extends Error {
  constructor(message: string, readonly line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = "ReplayError";
  }
}

type Row = Record<string, string>;

interface Reader {
  format: ReplayFormat;
  location(row: Row): string;
  /** null: a row to skip and count (a superseded PJM version). Throws on an unreadable row. */
  read(row: Row): RowPrice | null;
}

interface RowPrice {
  market: Market;
  start: number;
  end: number;
  lmp: number;
  congestion: number;
  loss: number;
  /** As published, when the file has it: only used to flag rows whose components do not add up. */
  energy?: number;
  /** MW, from the optional load columns. */
  loadActual?: number;
  loadForecast?: number;
}

const GRIDSTATUS_COLUMNS = ["Interval Start", "Interval End", "Market", "Location", "LMP"];
const PJM_COLUMNS = ["datetime_beginning_utc", "pnode_name"];

function num(row: Row, column: string, required: boolean): number | undefined {
  const raw = row[column];
  // Number("") is 0: an empty cell must not read as a price of zero.
  if (raw === undefined || raw.trim() === "" || /^nan$/i.test(raw.trim())) {
    if (required) throw new Error(`${column} is empty`);
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${column} is not a number: ${JSON.stringify(raw)}`);
  return n;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)$/;

/** ISO-8601 with an explicit offset. A time without one is refused: around DST it is ambiguous. */
export function parseOffsetTime(s: string): number {
  const m = ISO_RE.exec(s.trim());
  if (!m) throw new Error(`not an ISO-8601 time with a UTC offset: ${JSON.stringify(s)}`);
  const [, y, mo, d, h, mi, sec, frac, off] = m;
  let offsetMin = 0;
  if (off !== "Z") {
    const digits = off.slice(1).replace(":", "");
    offsetMin = (off[0] === "-" ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
  }
  const wall = Date.UTC(+y, +mo - 1, +d, +h, +mi, +(sec ?? 0), frac ? Math.round(Number(frac) * 1000) : 0);
  const check = new Date(wall);
  if (check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d) throw new Error(`no such date: ${s}`);
  return wall - offsetMin * 60_000;
}

const PJM_TIME_RE = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) ?(AM|PM)$/i;

/** PJM Data Miner's "M/D/YYYY h:mm:ss AM" read as UTC (use it on the *_utc columns only). */
export function parsePjmUtcTime(s: string): number {
  const m = PJM_TIME_RE.exec(s.trim());
  if (!m) throw new Error(`not a PJM time (M/D/YYYY h:mm:ss AM): ${JSON.stringify(s)}`);
  const [, mo, d, y, h, mi, sec, ampm] = m;
  if (+h < 1 || +h > 12) throw new Error(`hour out of range: ${s}`);
  const hour = (+h % 12) + (ampm.toUpperCase() === "PM" ? 12 : 0); // 12 AM is midnight, 12 PM noon
  const ms = Date.UTC(+y, +mo - 1, +d, hour, +mi, +sec);
  const check = new Date(ms);
  if (check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d) throw new Error(`no such date: ${s}`);
  return ms;
}

function marketOf(value: string): Market {
  const v = value.trim().toUpperCase();
  if (v === "DA" || v.startsWith("DAY_AHEAD") || v.startsWith("DAM")) return "DA";
  if (v === "RT" || v.startsWith("REAL_TIME") || v.startsWith("RTM")) return "RT";
  throw new Error(`unknown Market ${JSON.stringify(value)} (expected DAY_AHEAD_* or REAL_TIME_*)`);
}

function gridstatusReader(): Reader {
  return {
    format: "gridstatus",
    location: (row) => row["Location"] ?? "",
    read(row) {
      const start = parseOffsetTime(row["Interval Start"] ?? "");
      const end = parseOffsetTime(row["Interval End"] ?? "");
      if (end <= start) throw new Error("Interval End is not after Interval Start");
      return {
        market: marketOf(row["Market"] ?? ""),
        start,
        end,
        lmp: num(row, "LMP", true)!,
        energy: num(row, "Energy", false),
        // Components an ISO does not publish (ERCOT has no loss component) count as zero.
        congestion: num(row, "Congestion", false) ?? 0,
        loss: num(row, "Loss", false) ?? 0,
        loadActual: num(row, "Load", false),
        loadForecast: num(row, "Load Forecast", false),
      };
    },
  };
}

function pjmReader(header: string[]): Reader {
  const market: Market = header.includes("total_lmp_rt") ? "RT" : "DA";
  const sfx = market.toLowerCase();
  for (const c of [`total_lmp_${sfx}`, `congestion_price_${sfx}`, `marginal_loss_price_${sfx}`]) {
    if (!header.includes(c)) throw new ReplayError(`PJM file lacks column ${c}`, 1);
  }
  return {
    format: "pjm",
    location: (row) => row["pnode_name"] ?? "",
    read(row) {
      // Data Miner keeps superseded versions of a row; only the current one is the price.
      if (row["row_is_current"] !== undefined && /^false$/i.test(row["row_is_current"].trim())) return null;
      const start = parsePjmUtcTime(row["datetime_beginning_utc"] ?? "");
      return {
        market,
        start,
        end: start + 3_600_000, // da_hrl_lmps and rt_hrl_lmps are hourly
        lmp: num(row, `total_lmp_${sfx}`, true)!,
        energy: num(row, `system_energy_price_${sfx}`, false),
        congestion: num(row, `congestion_price_${sfx}`, false) ?? 0,
        loss: num(row, `marginal_loss_price_${sfx}`, false) ?? 0,
      };
    },
  };
}

/** Zones of well-known hub names, for gridstatus files read without a `zone` option. */
const HUB_ZONES: [RegExp, Iso][] = [
  [/^TH_(SP15|NP15|ZP26)/i, "CAISO"],
  [/^(HB|LZ)_/i, "ERCOT"],
  [/^SPP(NORTH|SOUTH)_HUB$/i, "SPP"],
  [/^\.H\.INTERNAL_HUB$|^\.Z\./i, "ISONE"],
  [/^(N\.Y\.C\.|CAPITL|CENTRL|DUNWOD|GENESE|HUD VL|LONGIL|MHK VL|MILLWD|NORTH|WEST)$/i, "NYISO"],
  [/^(ARKANSAS|ILLINOIS|INDIANA|LOUISIANA|MICHIGAN|MINN|MS|TEXAS)\.HUB$/i, "MISO"],
  [/ HUB$/i, "PJM"],
];

function zoneOfLocation(location: string): Iso | undefined {
  return HUB_ZONES.find(([re]) => re.test(location.trim()))?.[1];
}

type Source = CsvSource;

/**
 * Streams PriceTick batches out of CSV text (a file's bytes, an async iterable of chunks, or a string).
 * Only one batch and one CSV record are held at a time, plus the set of intervals already emitted
 * (duplicates are dropped: the first row of an interval wins).
 */
export async function* replayTicks(
  source: Source,
  options: ReplayOptions = {},
): AsyncGenerator<PriceTick[], ReplaySummary> {
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) {
    throw new RangeError(`batchSize must be an integer in 1..5000, got ${batchSize}`);
  }
  if (options.zone !== undefined && !isIso(options.zone)) throw new RangeError(`unknown zone: ${options.zone}`);
  const records = csvRecords(source);

  let header: string[] | undefined;
  let reader: Reader | undefined;
  let zone: Iso | undefined = options.zone;
  let location = options.location?.trim();
  const wanted = location?.toUpperCase();
  const seenLocations = new Set<string>();
  const emitted = new Set<string>();
  const emittedAt = new Set<string>(); // "LOCATION|market|start" handed to onLocationPrice
  const summary: ReplaySummary = {
    format: "gridstatus",
    zone: zone ?? "PJM",
    location: location ?? "",
    rows: 0,
    ticks: 0,
    skipped: { otherLocation: 0, notCurrent: 0, duplicate: 0, invalid: 0 },
    load: 0,
    locationPrices: 0,
    inconsistent: 0,
    errors: [],
    locations: [],
  };
  let batch: PriceTick[] = [];

  for await (const { record, info } of records) {
    if (!header) {
      header = record;
      if (PJM_COLUMNS.every((c) => header!.includes(c))) {
        reader = pjmReader(header);
        if (zone !== undefined && zone !== "PJM") {
          throw new ReplayError(`a PJM Data Miner file is zone PJM, not ${zone}`, info.lines);
        }
        zone = "PJM";
      } else if (GRIDSTATUS_COLUMNS.every((c) => header!.includes(c))) {
        reader = gridstatusReader();
      } else {
        throw new ReplayError(
          `unrecognised header; expected gridstatus' LMP schema (${GRIDSTATUS_COLUMNS.join(", ")}, …) or a PJM ` +
            `da/rt_hrl_lmps export (${PJM_COLUMNS.join(", ")}, …); got ${record.join(", ")}`,
          info.lines,
        );
      }
      summary.format = reader.format;
      continue;
    }
    summary.rows++;
    const row: Row = {};
    for (let i = 0; i < header.length; i++) row[header[i]] = record[i] ?? "";
    const loc = reader!.location(row).trim();
    if (seenLocations.size < 100) seenLocations.add(loc);
    if (location === undefined) location = loc; // the first location seen is the one replayed
    const replayed = loc.toUpperCase() === (wanted ?? location.toUpperCase());
    if (options.onLocationPrice) {
      const at = zone ?? zoneOfLocation(loc);
      if (at && loc.length >= 1 && loc.length <= 64) {
        const p = readLocationPrice(reader!, row, at, loc);
        if (p instanceof Error) {
          if (!options.skipInvalid) throw new ReplayError(p.message, info.lines);
          if (!replayed) {
            summary.skipped.invalid++; // a replayed row is counted once, below
            if (summary.errors.length < 10) summary.errors.push(`line ${info.lines}: ${p.message}`);
          }
        } else if (p) {
          const key = `${p.location}|${p.market}|${p.interval_start}`;
          if (!emittedAt.has(key)) {
            emittedAt.add(key);
            options.onLocationPrice(p);
            summary.locationPrices++;
          }
        }
      }
    }
    if (!replayed) {
      summary.skipped.otherLocation++;
      continue;
    }
    if (zone === undefined) {
      zone = zoneOfLocation(loc);
      if (!zone) {
        throw new ReplayError(
          `cannot tell the zone of location ${JSON.stringify(loc)}: pass the zone option (one of the ISOs)`,
          info.lines,
        );
      }
    }
    let r: RowPrice | null;
    try {
      r = reader!.read(row);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (!options.skipInvalid) throw new ReplayError(message, info.lines);
      summary.skipped.invalid++;
      if (summary.errors.length < 10) summary.errors.push(`line ${info.lines}: ${message}`);
      continue;
    }
    if (r === null) {
      summary.skipped.notCurrent++;
      continue;
    }
    const key = `${r.market}|${r.start}`;
    if (emitted.has(key)) {
      summary.skipped.duplicate++;
      continue;
    }
    emitted.add(key);
    if (r.energy !== undefined && Math.abs(r.energy + r.congestion + r.loss - r.lmp) > 0.01) summary.inconsistent++;
    batch.push(toTick(zone, r));
    summary.ticks++;
    if (
      options.onLoad && r.end - r.start === 3_600_000 && (r.loadActual !== undefined || r.loadForecast !== undefined)
    ) {
      if ((r.loadActual ?? 0) < 0 || (r.loadForecast ?? 0) < 0) {
        summary.inconsistent++; // a negative system load is a broken file, not a price: the price is kept
      } else {
        options.onLoad({
          zone,
          interval_start: new Date(r.start).toISOString(),
          interval_end: new Date(r.end).toISOString(),
          actual_mw: r.loadActual ?? null,
          forecast_mw: r.loadForecast ?? null,
        });
        summary.load++;
      }
    }
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
  if (!header) throw new ReplayError("empty file: no header row");
  summary.zone = zone ?? summary.zone;
  summary.location = location ?? "";
  summary.locations = [...seenLocations];
  return summary;
}

/** A row as a location price; null for a superseded row, an Error for an unreadable one. */
function readLocationPrice(reader: Reader, row: Row, zone: Iso, loc: string): LocationPrice | Error | null {
  let r: RowPrice | null;
  try {
    r = reader.read(row);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
  if (!r) return null;
  return {
    zone,
    location: canonicalLocation(VIRTUAL_RULES[zone], loc),
    market: r.market,
    interval_start: new Date(r.start).toISOString(),
    interval_end: new Date(r.end).toISOString(),
    lmp: Math.round(r.lmp * 1e4) / 1e4,
  };
}

/**
 * Prices are kept to 4 decimals (the store's numeric(12,4)). The LMP is the settlement price, so it is
 * kept (rounded); congestion and loss are rounded, and energy is the remainder. lmp = energy +
 * congestion + loss then holds exactly, in the store as here. The remainder also absorbs a file's own
 * rounding: PJM's RT system energy price is published to the cent while the LMP has 6 decimals.
 */
function toTick(zone: Iso, r: RowPrice): PriceTick {
  const lmp = Math.round(r.lmp * 1e4), congestion = Math.round(r.congestion * 1e4), loss = Math.round(r.loss * 1e4);
  const energy = lmp - congestion - loss;
  return {
    zone,
    market: r.market,
    interval_start: new Date(r.start).toISOString(),
    interval_end: new Date(r.end).toISOString(),
    lmp: (energy + congestion + loss) / 1e4,
    energy: energy / 1e4,
    congestion: congestion / 1e4,
    loss: loss / 1e4,
  };
}

/** `replayTicks` over a file, streamed from disk (closed when the iteration ends, early or not). */
export async function* readReplayFile(
  path: string | URL,
  options: ReplayOptions = {},
): AsyncGenerator<PriceTick[], ReplaySummary> {
  const file = await Deno.open(path, { read: true });
  return yield* replayTicks(file.readable, options);
}

/** One step of a replay: wait `delayMs`, then publish `ticks` (all of one interval start). */
export interface ReplayStep {
  /** interval_start shared by the step's ticks. */
  at: string;
  /** Wall-clock wait before this step: the gap in market time since the previous step, divided by speed. */
  delayMs: number;
  ticks: PriceTick[];
}

/** Pure scheduling state shared by the sync and async forms. */
function scheduler(speed: number) {
  if (!Number.isFinite(speed) || speed <= 0) throw new RangeError(`speed must be a positive number, got ${speed}`);
  let group: PriceTick[] = [];
  let groupAt = "";
  let lastMs: number | undefined;
  const flush = (): ReplayStep | undefined => {
    if (!group.length) return undefined;
    const ms = Date.parse(groupAt);
    // Out-of-order data does not wait backwards: a step never has a negative delay.
    const delayMs = lastMs === undefined ? 0 : Math.max(0, (ms - lastMs) / speed);
    lastMs = lastMs === undefined ? ms : Math.max(lastMs, ms);
    const step = { at: groupAt, delayMs, ticks: group };
    group = [];
    return step;
  };
  return {
    push(t: PriceTick): ReplayStep | undefined {
      if (t.interval_start === groupAt) {
        group.push(t);
        return undefined;
      }
      const step = flush();
      group = [t];
      groupAt = t.interval_start;
      return step;
    },
    flush,
  };
}

type TickItems = PriceTick | PriceTick[];

/**
 * Groups ticks (single ticks or batches, in file order) by interval start and gives each group the
 * wall-clock delay to wait before it at `speed` × real time (60: an hour of prices per minute). Pure:
 * it computes delays and never waits. Sync input gives a Generator, async input an AsyncGenerator.
 */
export function replaySchedule(ticks: Iterable<TickItems>, speed: number): Generator<ReplayStep>;
export function replaySchedule(ticks: AsyncIterable<TickItems>, speed: number): AsyncGenerator<ReplayStep>;
export function replaySchedule(
  ticks: Iterable<TickItems> | AsyncIterable<TickItems>,
  speed: number,
): Generator<ReplayStep> | AsyncGenerator<ReplayStep> {
  const s = scheduler(speed);
  if (Symbol.asyncIterator in ticks) {
    return (async function* () {
      for await (const item of ticks) {
        for (const t of Array.isArray(item) ? item : [item]) {
          const step = s.push(t);
          if (step) yield step;
        }
      }
      const last = s.flush();
      if (last) yield last;
    })();
  }
  return (function* () {
    for (const item of ticks) {
      for (const t of Array.isArray(item) ? item : [item]) {
        const step = s.push(t);
        if (step) yield step;
      }
    }
    const last = s.flush();
    if (last) yield last;
  })();
}
