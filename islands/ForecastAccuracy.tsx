/**
 * The zone page's forecast accuracy card: the live forecasts' rolling MAE, rMAE, sMAPE and band coverage,
 * read from the accuracy API when the page opens. The page renders it only for readers of forecasts.
 */
import { useEffect, useState } from "preact/hooks";
import { ForecastAccuracyView } from "../components/ForecastAccuracyView.tsx";
import { fetchAccuracy, type ForecastAccuracy as Accuracy } from "../components/forecast_api.ts";

export interface ForecastAccuracyProps {
  zone: string;
  days?: number;
}

export default function ForecastAccuracy({ zone, days = 30 }: ForecastAccuracyProps) {
  const [acc, setAcc] = useState<Accuracy | null | undefined>(undefined);
  useEffect(() => {
    let stop = false;
    fetchAccuracy(zone, days)
      .catch(() => null)
      .then((a) => !stop && setAcc(a));
    return () => {
      stop = true;
    };
  }, [zone, days]);
  return <ForecastAccuracyView acc={acc} days={days} />;
}
