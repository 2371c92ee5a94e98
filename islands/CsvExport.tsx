/** The CSV export of a server-rendered table panel. */
import { CsvButton } from "../components/CsvButton.tsx";
import type { PanelCsv } from "../components/csv_download.ts";

export default function CsvExport(props: { csv: PanelCsv }) {
  return <CsvButton csv={props.csv} />;
}
