/**
 * The curve: 1–N (price, quantity) rows with their messages under each row, add and remove buttons that
 * also work without JavaScript (they post the form), and the total against the side's limit.
 */
import { Fragment } from "preact";
import { maxRows, typedSegments } from "../bid_form.ts";
import { clearingSide, sideLimitMw } from "../../services/bids/schema.ts";
import { control, FieldErrors } from "./fields.tsx";
import type { BidFormState } from "./use_bid_form.ts";

export function CurveEditor({ bid }: { bid: BidFormState }) {
  const { form, asset, setRow, addRow, removeRow, priceUnit } = bid;
  const err = (key: string) => bid.errors[key];
  const rowsMax = maxRows(bid.zone);
  const limit = asset && form.kind === "physical" ? sideLimitMw(asset, clearingSide(form.side)) : null;
  const total = typedSegments(form.rows, priceUnit).reduce((s, x) => s + x.quantity, 0);
  return (
    <fieldset class="min-w-0 space-y-2">
      <legend class="block text-sm font-medium text-slate-700">
        Curve{" "}
        <span class="font-normal text-slate-500">
          ({clearingSide(form.side) === "offer" ? "prices must not decrease" : "prices must not increase"}; up to{" "}
          {rowsMax} segments)
        </span>
      </legend>
      <table class="w-full table-fixed text-sm" data-testid="curve-table">
        <thead class="text-left text-xs text-slate-500">
          <tr>
            <th class="w-7 py-1 font-medium">#</th>
            <th class="py-1 pr-2 font-medium" data-testid="curve-price-unit">Price {priceUnit}</th>
            <th class="py-1 pr-2 font-medium">Quantity MW</th>
            <th class="w-10 py-1">
              <span class="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {form.rows.map((r, i) => {
            const pe = err(`segments.${i}.price`);
            const qe = err(`segments.${i}.quantity`);
            return (
              <Fragment key={r.key}>
                <tr class="align-top" data-row={i}>
                  <td class="py-1.5 pt-3.5 text-xs tabular-nums text-slate-500">{i + 1}</td>
                  <SegmentCell
                    id={`bb-price-${i}`}
                    name={`segments.${i}.price`}
                    label={`Segment ${i + 1} price (${priceUnit})`}
                    placeholder={priceUnit === "¢/kWh" ? "e.g. 3.5" : "e.g. 35"}
                    value={r.price}
                    errors={pe}
                    onInput={(v) => setRow(i, "price", v)}
                  />
                  <SegmentCell
                    id={`bb-qty-${i}`}
                    name={`segments.${i}.quantity`}
                    label={`Segment ${i + 1} quantity (MW)`}
                    placeholder="MW"
                    min="0"
                    value={r.quantity}
                    errors={qe}
                    onInput={(v) => setRow(i, "quantity", v)}
                  />
                  <td class="py-1.5 text-right">
                    <button
                      type="submit"
                      name="action"
                      value={`remove:${i}`}
                      class="inline-flex h-9 w-9 items-center justify-center rounded-md text-slate-500 ring-1 ring-slate-200 hover:bg-slate-50 hover:text-red-600 disabled:opacity-40"
                      aria-label={`Remove segment ${i + 1}`}
                      disabled={form.rows.length <= 1}
                      onClick={(e) => {
                        e.preventDefault();
                        removeRow(i);
                      }}
                    >
                      ×
                    </button>
                  </td>
                </tr>
                {(pe || qe) && (
                  // The row's messages span the row (a price column is too narrow for them on a phone).
                  <tr data-row-errors={i}>
                    <td />
                    <td colSpan={3} class="pb-2 pr-2">
                      <FieldErrors id={`bb-price-${i}-errors`} field={`segments.${i}.price`} messages={pe} />
                      <FieldErrors id={`bb-qty-${i}-errors`} field={`segments.${i}.quantity`} messages={qe} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      <div class="flex flex-wrap items-center justify-between gap-2">
        <button
          type="submit"
          name="action"
          value="add_row"
          class="rounded-md bg-white px-3 py-1.5 text-sm font-semibold text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50 disabled:opacity-50"
          disabled={form.rows.length >= rowsMax}
          onClick={(e) => {
            e.preventDefault();
            addRow();
          }}
        >
          + Add segment
        </button>
        <span class="text-xs tabular-nums text-slate-500" data-testid="curve-total">
          Total {Number(total.toFixed(3))} MW{limit !== null && ` of ${limit} MW`}
        </span>
      </div>
      <FieldErrors id="bb-segments-errors" field="segments" messages={err("segments")} />
    </fieldset>
  );
}

/** A segment's price or quantity: its label is for screen readers, its messages sit under the row (`${id}-errors`). */
function SegmentCell(props: {
  id: string;
  name: string;
  label: string;
  placeholder: string;
  min?: string;
  value: string;
  errors: string[] | undefined;
  onInput: (value: string) => void;
}) {
  const { id, errors } = props;
  return (
    <td class="py-1.5 pr-2">
      <label for={id} class="sr-only">{props.label}</label>
      <input
        id={id}
        name={props.name}
        type="number"
        step="any"
        min={props.min}
        inputMode="decimal"
        placeholder={props.placeholder}
        value={props.value}
        class={control(errors)}
        aria-invalid={errors ? "true" : undefined}
        aria-describedby={errors ? `${id}-errors` : undefined}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </td>
  );
}
