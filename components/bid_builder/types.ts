/** What the bid builder island is given by the bidding page, and the state its parts share. */
import type { BuilderAsset, BuilderForm } from "../bid_form.ts";
import type { Issue } from "../../services/bids/schema.ts";
import type { PriceUnit } from "../../services/market/units.ts";

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
  /** The organization has virtual bids (flag `virtual_bids`): off, the builder offers only physical bids. */
  canVirtual?: boolean;
  /** The reader may see forecasts (`forecast:read`): the builder then shows the interval's forecast. */
  canForecast?: boolean;
  /**
   * The user's price unit (/settings): curve prices are typed and shown in it, and sent in $/MWh.
   * `initial.form` rows are already in it.
   */
  priceUnit?: PriceUnit;
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

/** Messages by field path (`asset_id`, `segments.1.price`, `_form`), client and server together. */
export type FieldErrorMap = Record<string, string[] | undefined>;
