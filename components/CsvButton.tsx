import { downloadCsv, type PanelCsv } from "./csv_download.ts";

/** "Export CSV" of a panel: the rows it shows, nothing more. Used inside islands. */
export function CsvButton({ csv }: { csv: PanelCsv }) {
  return (
    <button
      type="button"
      data-export={csv.filename}
      disabled={csv.rows.length === 0}
      onClick={() => downloadCsv(csv)}
      class="rounded-md border border-slate-300 px-2 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50"
    >
      Export CSV
    </button>
  );
}
