/**
 * The builder's form: what was typed, which fields the user has touched, and the verdict of the API's own
 * rules (`checkBid` of services/bids/schema.ts, with the selected asset and the browser's clock) on every
 * change and every 20 s (gates close). A rule's message shows once its field was touched, or after a save
 * was attempted; the server's verdict shows until the next change.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import {
  type BuilderAsset,
  type BuilderForm,
  type CurveRow,
  defaultInterval,
  formToInput,
  formZone,
  intervalStartOf,
  issuesByField,
  maxRows,
  priceIssues,
} from "../bid_form.ts";
import { type BidKind, checkBid, checkVirtualBid, type Issue } from "../../services/bids/schema.ts";
import { referenceLocation, VIRTUAL_RULES } from "../../services/bids/virtual_rules.ts";
import type { Market } from "../../services/market/types.ts";
import type { Iso } from "../../services/market/zones.ts";
import { messageInUnit } from "../../services/market/price_input.ts";
import type { BidBuilderProps, FieldErrorMap } from "./types.ts";

let nextKey = 1;
const newRow = (price = "", quantity = ""): CurveRow => ({ key: nextKey++, price, quantity });

/** `onEdit`: called on every change the user makes (the last save's outcome no longer applies). */
export function useBidForm(
  { assets, now, initial, priceUnit = "$/MWh", canVirtual = true }: Pick<
    BidBuilderProps,
    "assets" | "now" | "initial" | "priceUnit" | "canVirtual"
  >,
  onEdit: () => void,
) {
  const [form, setForm] = useState<BuilderForm>(() => {
    if (initial) return { ...initial.form, rows: initial.form.rows.map((r) => newRow(r.price, r.quantity)) };
    const asset = assets[0];
    const zone = asset?.zone ?? "PJM";
    return {
      // Without assets, only a virtual bid can be built (if the organization has them).
      kind: asset || !canVirtual ? "physical" : "virtual",
      zone,
      location: referenceLocation(VIRTUAL_RULES[zone]!) ?? "",
      assetId: asset?.id ?? "",
      market: "DA",
      ...defaultInterval(zone, "DA", new Date(now)),
      side: asset || !canVirtual ? "offer" : "inc",
      rows: [newRow()],
    };
  });
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [attempted, setAttempted] = useState(initial?.attempted ?? false);
  const [server, setServer] = useState<Issue[]>(initial?.issues ?? []);
  const [clock, setClock] = useState(0);

  const asset: BuilderAsset | undefined = form.kind === "physical"
    ? assets.find((a) => a.id === form.assetId)
    : undefined;
  const zone: Iso = formZone(form, asset);
  const input = formToInput(form, asset, priceUnit);
  const start = intervalStartOf(form, zone);

  useEffect(() => {
    const t = setInterval(() => setClock((c) => c + 1), 20_000);
    return () => clearInterval(t);
  }, []);
  const check = useMemo(
    () =>
      form.kind === "virtual"
        ? checkVirtualBid(input, new Date())
        : asset
        ? checkBid(input, { asset, now: new Date() })
        : null,
    [JSON.stringify(input), asset, clock],
  );

  // A price that is no price in the user's unit is said so plainly, instead of the schema's "must be a price".
  const unparsed = priceIssues(form.rows, priceUnit);
  const ruleIssues = check && !check.ok ? check.issues : [];
  const clientIssues = [...unparsed, ...ruleIssues.filter((i) => !unparsed.some((u) => u.path === i.path))];
  const visible = clientIssues.filter((i) => attempted || isShown(i.path, touched));
  // The rules speak $/MWh (the API's unit); the user reads them in theirs.
  const errors: FieldErrorMap = issuesByField(
    [...visible, ...server].map((i) => ({ ...i, message: messageInUnit(i.message, priceUnit) })),
  );

  /** Every edit clears the server's verdict on the previous form. */
  function update(patch: Partial<BuilderForm>, touch: string[] = []) {
    setForm((f) => ({ ...f, ...patch }));
    if (touch.length) setTouched((t) => new Set([...t, ...touch]));
    setServer([]);
    onEdit();
  }

  function pickAsset(id: string) {
    const next = assets.find((a) => a.id === id);
    if (!next) return;
    const patch: Partial<BuilderForm> = { assetId: id };
    if (next.kind !== "storage") patch.side = "offer";
    if (next.zone !== zone && !touched.has("interval_start")) {
      Object.assign(patch, defaultInterval(next.zone, form.market, new Date()));
    }
    update(patch, ["asset_id"]);
  }

  /** Physical (an asset's offer or bid) or virtual (INC/DEC at a location): the side and zone follow. */
  function pickKind(kind: BidKind) {
    if (kind === form.kind || (kind === "physical" && !assets.length)) return;
    const next = kind === "physical" ? assets.find((a) => a.id === form.assetId) ?? assets[0] : undefined;
    const patch: Partial<BuilderForm> = {
      kind,
      side: kind === "virtual" ? "inc" : "offer",
      market: "DA",
      ...(next ? { assetId: next.id } : {}),
    };
    const z = kind === "virtual" ? form.zone : next?.zone ?? zone;
    if (!touched.has("interval_start")) Object.assign(patch, defaultInterval(z, "DA", new Date()));
    update(patch, ["kind"]);
  }

  /** A virtual bid's zone: its locations are the zone's, so the reference location is picked. */
  function pickZone(z: Iso) {
    const rules = VIRTUAL_RULES[z];
    const patch: Partial<BuilderForm> = { zone: z, location: rules ? referenceLocation(rules) : "" };
    if (!touched.has("interval_start")) Object.assign(patch, defaultInterval(z, "DA", new Date()));
    update(patch, ["zone"]);
  }

  function pickMarket(market: Market) {
    const patch: Partial<BuilderForm> = { market };
    if (!touched.has("interval_start")) Object.assign(patch, defaultInterval(zone, market, new Date()));
    update(patch, ["market"]);
  }

  function setRow(i: number, field: "price" | "quantity", value: string) {
    const rows = form.rows.map((r, j) => (j === i ? { ...r, [field]: value } : r));
    update({ rows }, [`segments.${i}.${field}`, "segments"]);
  }

  function addRow() {
    if (form.rows.length >= maxRows(zone)) return;
    const last = form.rows[form.rows.length - 1];
    // A new step starts at the last price, which keeps the curve monotone until the user changes it.
    update({ rows: [...form.rows, newRow(last?.price ?? "")] }, ["segments"]);
  }

  function removeRow(i: number) {
    if (form.rows.length <= 1) return;
    // Row keys follow the rows; touched paths are by index, so everything after the row counts as touched.
    const touch = form.rows.slice(i).flatMap((_, j) => [`segments.${i + j}.price`, `segments.${i + j}.quantity`]);
    update({ rows: form.rows.filter((_, j) => j !== i) }, [...touch, "segments"]);
  }

  return {
    form,
    priceUnit,
    input,
    asset,
    zone,
    start,
    check,
    errors,
    setAttempted,
    setServer,
    update,
    pickAsset,
    pickKind,
    pickZone,
    pickMarket,
    setRow,
    addRow,
    removeRow,
  };
}

export type BidFormState = ReturnType<typeof useBidForm>;

/**
 * Whether a rule's message shows before the user tried to save: the fields of a segment once typed in,
 * rules about the whole curve once any segment was; the rest (asset, interval, side) at once.
 */
function isShown(path: string, touched: ReadonlySet<string>): boolean {
  if (path.startsWith("segments.")) {
    const field = /^segments\.\d+\.(price|quantity)$/.test(path)
      ? path
      : path.replace(/^(segments\.\d+).*/, "$1.price");
    return touched.has(field);
  }
  if (path === "segments") return touched.has("segments");
  return true;
}
