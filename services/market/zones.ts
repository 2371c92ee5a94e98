/** The seven US ISOs/RTOs OptiBid bids into. */
export const ISOS = ["PJM", "CAISO", "ERCOT", "NYISO", "MISO", "SPP", "ISONE"] as const;
export type Iso = typeof ISOS[number];
