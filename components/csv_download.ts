/**
 * A panel's CSV, built in the browser from exactly the rows the panel shows, and handed to the browser as a
 * download. Browser-safe.
 */
import { csvField } from "../services/http/csv.ts";

export type CsvCell = string | number | null;

export interface PanelCsv {
  filename: string;
  header: string[];
  rows: CsvCell[][];
}

export function csvText(c: Pick<PanelCsv, "header" | "rows">): string {
  return [c.header, ...c.rows].map((r) => r.map(csvField).join(",")).join("\n") + "\n";
}

export function downloadCsv(c: PanelCsv): void {
  const url = URL.createObjectURL(new Blob([csvText(c)], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = c.filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
