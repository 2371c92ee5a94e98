/**
 * The site and asset forms, shared by /assets (add), /assets/:id (edit an asset) and /assets/sites/:id
 * (edit a site): their fields, and the form-to-API parsing (form fields are text; the API takes numbers).
 * The storage fields show only while "Storage" is the chosen kind — a CSS `:has()` rule (static/styles.css),
 * so it works before and without JavaScript.
 */
import { z } from "zod";
import { Button, Card, Field, type FieldErrors, Notice, Select } from "./Form.tsx";
import { ASSET_KIND_LIST, assetInput, siteInput } from "../services/assets/schemas.ts";
import { ISOS } from "../services/market/zones.ts";

export const KIND_LABEL = { solar: "Solar", wind: "Wind", storage: "Storage", thermal: "Thermal" } as const;

/** What a storage asset adds to the form (field, label); the others leave these out. */
export const STORAGE_FIELDS = [
  ["energy_mwh", "Energy (MWh)"],
  ["charge_mw", "Charge (MW)"],
  ["discharge_mw", "Discharge (MW)"],
  ["round_trip_efficiency", "Round-trip efficiency (0–1)"],
  ["min_soc", "Min state of charge (0–1)"],
  ["max_soc", "Max state of charge (0–1)"],
] as const;

/** Each form's fields as its labels name them: validation messages name the field the same way (parseForm). */
export const SITE_LABELS = {
  name: "Site name",
  zone: "Zone",
  node: "Pricing node or hub",
  latitude: "Latitude",
  longitude: "Longitude",
} as const;
export const ASSET_LABELS = {
  site_id: "Site",
  name: "Asset name",
  kind: "Kind",
  capacity_mw: "Capacity (MW)",
  ...Object.fromEntries(STORAGE_FIELDS),
} as Readonly<Record<string, string>>;

const num = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : Number(v));

export const siteForm = z.object({
  name: z.string(),
  zone: z.string(),
  node: z.string(),
  latitude: z.string(),
  longitude: z.string(),
}).transform((f) => ({ ...f, latitude: num(f.latitude), longitude: num(f.longitude) })).pipe(siteInput);

export const assetForm = z.record(z.string(), z.string()).transform((f) => {
  const out: Record<string, unknown> = {
    site_id: f.site_id,
    name: f.name,
    kind: f.kind,
    capacity_mw: num(f.capacity_mw),
  };
  // Hidden storage fields of another kind may still hold text: only storage sends them.
  if (f.kind === "storage") { for (const [k] of STORAGE_FIELDS) out[k] = num(f[k]); }
  return out;
}).pipe(assetInput);

/** A form's own error (not one field's), across the whole grid. */
export function FormError({ message }: { message?: string }) {
  if (!message) return null;
  return (
    <div class="sm:col-span-2 lg:col-span-3">
      <Notice kind="error">{message}</Notice>
    </div>
  );
}

export function SiteFields(
  { values, errors }: { values: Record<string, string | undefined>; errors: FieldErrors },
) {
  return (
    <>
      <FormError message={errors._form} />
      <Field name="name" label={SITE_LABELS.name} value={values.name} error={errors.name} />
      <Select name="zone" label={SITE_LABELS.zone} options={ISOS} value={values.zone ?? "PJM"} error={errors.zone} />
      <Field name="node" label={SITE_LABELS.node} value={values.node} error={errors.node} />
      <Field
        name="latitude"
        label={SITE_LABELS.latitude}
        inputmode="text"
        value={values.latitude}
        error={errors.latitude}
      />
      <Field
        name="longitude"
        label={SITE_LABELS.longitude}
        inputmode="text"
        value={values.longitude}
        error={errors.longitude}
      />
    </>
  );
}

export function AssetFields(props: {
  sites: { id: string; name: string; zone: string }[];
  values: Record<string, string | undefined>;
  errors: FieldErrors;
}) {
  const { values: v, errors: e } = props;
  return (
    <>
      <FormError message={e._form} />
      <Select
        name="site_id"
        label="Site"
        options={props.sites.map((s) => ({ value: s.id, label: `${s.name} (${s.zone})` }))}
        value={v.site_id}
        error={e.site_id}
      />
      <Field name="name" label="Asset name" value={v.name} error={e.name} />
      <Select
        name="kind"
        label="Kind"
        options={ASSET_KIND_LIST.map((k) => ({ value: k, label: KIND_LABEL[k] }))}
        value={v.kind ?? "solar"}
        error={e.kind}
      />
      <Field name="capacity_mw" label="Capacity (MW)" value={v.capacity_mw} error={e.capacity_mw} />
      <div data-storage-only class="contents">
        {STORAGE_FIELDS.map(([name, label]) => (
          <Field key={name} name={name} label={label} value={v[name]} error={e[name]} />
        ))}
      </div>
    </>
  );
}

/** The form values of a stored asset or site (numbers as the text a person would type). */
export function asValues(row: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(row)) if (val !== null && val !== undefined) out[k] = String(val);
  return out;
}

/** What a delete without the tick says. */
export const CONFIRM_DELETE = "Tick “Yes, delete” to confirm.";

/** The delete form of an asset or a site: a ticked confirmation, and the refusal's reason when there was one. */
export function DeleteCard(props: {
  title: string;
  id?: string;
  description: string;
  testId: string;
  name: string;
  error?: string;
}) {
  return (
    <Card title={props.title} id={props.id} description={props.description}>
      <form method="post" class="space-y-3" data-testid={props.testId}>
        <input type="hidden" name="_action" value="delete" />
        {props.error && <Notice kind="error">{props.error}</Notice>}
        <label class="flex items-center gap-2 text-sm text-slate-700">
          <input type="checkbox" name="confirm" value="yes" class="h-4 w-4 rounded border-slate-300" />
          Yes, delete {props.name}
        </label>
        <Button variant="danger">Delete {props.name}</Button>
      </form>
    </Card>
  );
}
