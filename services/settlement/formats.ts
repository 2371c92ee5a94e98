/**
 * The statement formats OptiBid imports, as pure row readers: a header is recognised, each following record
 * becomes statement lines or a message saying what is wrong with it. No I/O (import.ts streams and stores).
 *
 * Sign convention of a line's `amount`, as everywhere in OptiBid (services/bids/clearing.ts): + is paid to the
 * participant (a credit), − is paid by it (a charge). `mw` is signed net injection (+ sold, − bought).
 *
 * - `generic`: one line per row, `interval_start,interval_end,location,market,mw,price,amount` with ISO-8601
 *   instants (offset or Z), market DA or RT, amount signed as above.
 * - `pjm`: OptiBid's layout of PJM's hourly day-ahead and balancing spot market energy charges by pricing node,
 *   one row per hour and node giving two lines (DA and RT): `datetime_beginning_utc` (PJM Data Miner's
 *   "M/D/YYYY h:mm:ss AM"), `pnode_id`, `pnode_name`, `da_mw`, `da_lmp`, `da_energy_charge`, `rt_deviation_mw`,
 *   `rt_lmp`, `balancing_energy_charge`; optional `datetime_beginning_ept`. PJM bills charges as positive
 *   amounts and credits as negative (its charge = (load − generation) × LMP), so a charge is taken as −amount.
 *   The column names follow PJM Data Miner's; it is not a byte-for-byte copy of an MSRS report.
 */
import { parsePjmUtcTime } from "../market/replay.ts";
import { COLUMNS, type NumericType } from "../schemas/numeric.ts";

export const FORMATS = ["pjm", "generic"] as const;
export type StatementFormat = typeof FORMATS[number];

export interface StatementLine {
  interval_start: number;
  interval_end: number;
  location: string;
  market: "DA" | "RT";
  mw: number;
  price: number;
  amount: number;
}

export const GENERIC_COLUMNS = ["interval_start", "interval_end", "location", "market", "mw", "price", "amount"];
export const PJM_COLUMNS = [
  "datetime_beginning_utc",
  "pnode_id",
  "pnode_name",
  "da_mw",
  "da_lmp",
  "da_energy_charge",
  "rt_deviation_mw",
  "rt_lmp",
  "balancing_energy_charge",
];

/** A row that cannot be imported; the message says which field and why. */
export class RowError extends Error {}

/**
 * A decimal's text as a number, or NaN when it is not one (what NUMBER_RE, `[+-]?(\d+(\.\d*)?|\.\d+)`,
 * accepted): read in one pass with its decimals counted (trailing zeros aside: what the column would round
 * away). Up to 15 digits the value is computed exactly (digits as an integer, one division by a power of ten,
 * so the same double as Number(text)); longer texts go through Number.
 */
function decimalText(text: string): { value: number; decimals: number } {
  const n = text.length;
  let i = 0, digits = 0, intDigits = 0, fracDigits = 0, sigFrac = 0, acc = 0, sign = 1;
  const c0 = n ? text.charCodeAt(0) : 0;
  if (c0 === 43 || c0 === 45) {
    sign = c0 === 45 ? -1 : 1;
    i = 1;
  }
  for (; i < n; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    acc = acc * 10 + c;
    intDigits++;
  }
  if (i < n && text.charCodeAt(i) === 46) {
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      acc = acc * 10 + c;
      fracDigits++;
      if (c !== 0) sigFrac = fracDigits;
    }
  }
  digits = intDigits + fracDigits;
  if (i !== n || digits === 0) return NOT_A_NUMBER;
  const value = digits <= 15 ? sign * acc / POW10[fracDigits] : Number(text);
  return { value, decimals: sigFrac };
}

const NOT_A_NUMBER = { value: NaN, decimals: 0 };
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);

function numberIn(field: string, text: string, type: NumericType): number {
  const { value: v, decimals } = decimalText(text);
  if (Number.isNaN(v)) throw new RowError(`${field} ${JSON.stringify(text.slice(0, 40))} is not a number`);
  const limit = 10 ** (type.precision - type.scale);
  if (!(Math.abs(v) < limit)) throw new RowError(`${field} ${text} is out of range (|${field}| < ${limit})`);
  if (decimals > type.scale) throw new RowError(`${field} ${text} has more than ${type.scale} decimals`);
  return v;
}

/**
 * `parse` remembered for the text it was last given: a statement lists every location of an hour before the
 * next hour, so most rows repeat the previous row's times.
 */
function lastOf<T>(parse: (text: string) => T): (text: string) => T {
  let last: string | undefined, value: T;
  return (text) => {
    if (text !== last) {
      value = parse(text);
      last = text;
    }
    return value;
  };
}

const MW = COLUMNS["settlement_lines.mw"];
const PRICE = COLUMNS["settlement_lines.price"];
const AMOUNT = COLUMNS["settlement_lines.amount"];
const HOUR = 3_600_000;

/** An ISO-8601 instant with its offset (or Z): a statement's time without a zone would be ambiguous. */
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function instant(field: string, text: string): number {
  const t = INSTANT_RE.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(t)) {
    throw new RowError(`${field} ${JSON.stringify(text.slice(0, 40))} is not an ISO-8601 instant with Z or an offset`);
  }
  return t;
}

function location(text: string): string {
  // deno-lint-ignore no-control-regex
  if (!text || text.length > 64 || /[\x00-\x1f\x7f]/.test(text)) {
    throw new RowError(`location ${JSON.stringify(text.slice(0, 40))} must be 1 to 64 printable characters`);
  }
  return text.toUpperCase();
}

export interface RowReader {
  format: StatementFormat;
  /** The lines of one record, or a RowError. */
  read(record: readonly string[]): StatementLine[];
}

/** The reader for a header, or null when the header is not the format's (the message says what was expected). */
export function readerFor(format: StatementFormat, header: readonly string[]): RowReader | string {
  const cols = header.map((h) => h.trim().toLowerCase());
  const expected = format === "pjm" ? PJM_COLUMNS : GENERIC_COLUMNS;
  const missing = expected.filter((c) => !cols.includes(c));
  if (missing.length) {
    return `the header lacks ${missing.join(", ")}; the ${format} format's columns are ${expected.join(", ")}`;
  }
  const at = (c: string) => cols.indexOf(c);
  const width = header.length;
  const count = (record: readonly string[]) => {
    if (record.length !== width) throw new RowError(`${record.length} fields where the header has ${width}`);
  };
  if (format === "generic") {
    const [s, e, l, m, mw, p, a] = GENERIC_COLUMNS.map(at);
    const startOf = lastOf((text) => instant("interval_start", text));
    const endOf = lastOf((text) => instant("interval_end", text));
    return {
      format,
      read(r) {
        count(r);
        const start = startOf(r[s]);
        const end = endOf(r[e]);
        if (end <= start || end - start > HOUR) {
          throw new RowError("interval_end must be after interval_start, by at most an hour");
        }
        const market = r[m].toUpperCase();
        if (market !== "DA" && market !== "RT") throw new RowError(`market ${JSON.stringify(r[m])} must be DA or RT`);
        return [{
          interval_start: start,
          interval_end: end,
          location: location(r[l]),
          market,
          mw: numberIn("mw", r[mw], MW),
          price: numberIn("price", r[p], PRICE),
          amount: numberIn("amount", r[a], AMOUNT),
        }];
      },
    };
  }
  const [t, , name, daMw, daLmp, daCharge, rtMw, rtLmp, rtCharge] = PJM_COLUMNS.map(at);
  const startOf = lastOf((text) => {
    try {
      return parsePjmUtcTime(text);
    } catch {
      throw new RowError(`datetime_beginning_utc ${JSON.stringify(text.slice(0, 40))} is not M/D/YYYY h:mm:ss AM`);
    }
  });
  return {
    format,
    read(r) {
      count(r);
      const start = startOf(r[t]);
      const loc = location(r[name]);
      return [
        {
          interval_start: start,
          interval_end: start + HOUR,
          location: loc,
          market: "DA",
          mw: numberIn("da_mw", r[daMw], MW),
          price: numberIn("da_lmp", r[daLmp], PRICE),
          amount: negate(numberIn("da_energy_charge", r[daCharge], AMOUNT)),
        },
        {
          interval_start: start,
          interval_end: start + HOUR,
          location: loc,
          market: "RT",
          mw: numberIn("rt_deviation_mw", r[rtMw], MW),
          price: numberIn("rt_lmp", r[rtLmp], PRICE),
          amount: negate(numberIn("balancing_energy_charge", r[rtCharge], AMOUNT)),
        },
      ];
    },
  };
}

/** −x without a −0 (which would print as "-0"). */
const negate = (x: number) => x === 0 ? 0 : -x;
