/**
 * Parsers for the two CSV files of the epftoolbox benchmark (text in, day-major arrays out): the
 * hourly data set (`Date, Price, Exogenous 1, Exogenous 2`) and the published forecasts (`, Real price,
 * DNN 1 … LEAR Ensemble`). Both are on a fixed grid of 24 rows per calendar day starting at 00:00;
 * the parser checks that rather than assuming it.
 */
import type { DailySeries } from "./features.ts";

interface Table {
  header: string[];
  firstDay: string;
  columns: Float64Array[];
}

function parseHourlyTable(text: string): Table {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length < 25) throw new RangeError("fewer than one day of rows");
  const header = lines[0].split(",").map((s) => s.trim());
  const rows = lines.length - 1;
  if (rows % 24 !== 0) throw new RangeError(`${rows} rows is not a whole number of 24-hour days`);
  const columns = header.slice(1).map(() => new Float64Array(rows));
  let firstDay = "";
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(",");
    const stamp = cells[0];
    const hour = Number(stamp.slice(11, 13));
    if (hour !== r % 24) throw new RangeError(`row ${r + 2} (${stamp}) breaks the 24-rows-per-day grid`);
    if (r === 0) firstDay = stamp.slice(0, 10);
    for (let c = 1; c < header.length; c++) columns[c - 1][r] = Number(cells[c]);
  }
  return { header, firstDay, columns };
}

/** The benchmark's data set: price and the two load forecasts. */
export function parseEpfDataset(text: string): DailySeries {
  const t = parseHourlyTable(text);
  const [price, ...exogenous] = t.columns;
  return { price, exogenous, firstDay: t.firstDay };
}

/** The published forecasts: column name → day-major values, and the first day. */
export function parseEpfForecasts(text: string): { firstDay: string; columns: Map<string, Float64Array> } {
  const t = parseHourlyTable(text);
  const columns = new Map<string, Float64Array>();
  t.header.slice(1).forEach((name, i) => columns.set(name, t.columns[i]));
  return { firstDay: t.firstDay, columns };
}
