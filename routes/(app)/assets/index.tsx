import { page } from "fresh";
import { z } from "zod";
import { Button, Card, Field, type FieldErrors, Notice, Select } from "../../../components/Form.tsx";
import { formErrorsOf, formObject, parseForm, signedIn } from "../../../server/pages.ts";
import { toHttpError } from "../../../server/errors.ts";
import { can } from "../../../services/auth/rbac.ts";
import { ASSET_KIND_LIST, assetInput, siteInput } from "../../../services/assets/schemas.ts";
import { listAssets, listSites } from "../../../services/assets/store.ts";
import { createAsset, createSite } from "../../../services/assets/actions.ts";
import type { AssetView } from "../../../services/assets/schemas.ts";
import { ISOS } from "../../../services/market/zones.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import type { FreshContext } from "fresh";
import { define, type State } from "../../../utils.ts";

interface SiteRow {
  id: string;
  name: string;
  zone: string;
  node: string;
  latitude: number;
  longitude: number;
  asset_count: number;
}

interface Data {
  sites: SiteRow[];
  assets: AssetView[];
  canWrite: boolean;
  form?: "site" | "asset";
  errors: FieldErrors;
  values: Record<string, string>;
  notice?: string;
}

async function load(ctx: FreshContext<State>, p: Principal, extra: Partial<Data> = {}): Promise<Data> {
  const db = ctx.state.services.db();
  const [sites, assets] = await Promise.all([listSites(db, p.orgId), listAssets(db, p.orgId)]);
  return {
    sites: sites as unknown as SiteRow[],
    assets,
    canWrite: can(p.role, "assets:write"),
    errors: {},
    values: {},
    ...extra,
  };
}

/** What a storage asset adds to the form (field, label); the others leave these out. */
const STORAGE_FIELDS = [
  ["energy_mwh", "Energy (MWh, storage)"],
  ["charge_mw", "Charge (MW, storage)"],
  ["discharge_mw", "Discharge (MW, storage)"],
  ["round_trip_efficiency", "Round-trip efficiency (0–1)"],
  ["min_soc", "Min state of charge (0–1)"],
  ["max_soc", "Max state of charge (0–1)"],
] as const;

/** Each form's fields as its labels name them: validation messages name the field the same way. */
const FORM_LABELS = {
  site: { name: "Site name", zone: "Zone", node: "Pricing node or hub", latitude: "Latitude", longitude: "Longitude" },
  asset: {
    site_id: "Site",
    name: "Asset name",
    kind: "Kind",
    capacity_mw: "Capacity (MW)",
    ...Object.fromEntries(STORAGE_FIELDS),
  },
} as const;

/** Form fields are text; the API's schemas take numbers. Empty optional fields are left out. */
const num = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : Number(v));
const siteForm = z.object({
  name: z.string(),
  zone: z.string(),
  node: z.string(),
  latitude: z.string(),
  longitude: z.string(),
}).transform((f) => ({ ...f, latitude: num(f.latitude), longitude: num(f.longitude) })).pipe(siteInput);
const assetForm = z.record(z.string(), z.string()).transform((f) => {
  const out: Record<string, unknown> = {
    site_id: f.site_id,
    name: f.name,
    kind: f.kind,
    capacity_mw: num(f.capacity_mw),
  };
  if (f.kind === "storage") {
    for (const [k] of STORAGE_FIELDS) {
      out[k] = num(f[k]);
    }
  }
  return out;
}).pipe(assetInput);

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    return page<Data>(await load(ctx, p));
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const values = await formObject(ctx.req);
    const form = values._action === "site" ? "site" : "asset";
    delete values._action;
    const db = ctx.state.services.db();
    const parsed = parseForm(form === "site" ? siteForm : assetForm, values, FORM_LABELS[form]);
    if (!parsed.ok) return page<Data>(await load(ctx, p, { form, errors: parsed.errors, values }), { status: 400 });
    try {
      const actor = { principal: p, ip: ctx.state.ip };
      if (form === "site") await createSite(db, actor, parsed.data as z.infer<typeof siteInput>);
      else await createAsset(db, actor, parsed.data as z.infer<typeof assetInput>);
      return page<Data>(await load(ctx, p, { notice: form === "site" ? "Site added." : "Asset added." }), {
        status: 201,
      });
    } catch (e) {
      return page<Data>(await load(ctx, p, { form, errors: formErrorsOf(e), values }), {
        status: toHttpError(e)?.status ?? 400,
      });
    }
  },
});

const KIND_LABEL = { solar: "Solar", wind: "Wind", storage: "Storage", thermal: "Thermal" } as const;

/** A form's own error (not one field's), across the whole grid. */
function FormError({ message }: { message?: string }) {
  if (!message) return null;
  return (
    <div class="sm:col-span-2 lg:col-span-3">
      <Notice kind="error">{message}</Notice>
    </div>
  );
}

export default define.page<typeof handler>(function Assets({ data }) {
  const e = (form: string) => data.form === form ? data.errors : {};
  const v = (form: string, k: string) => data.form === form ? data.values[k] : undefined;
  return (
    <div class="space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Assets</h1>
        <p class="mt-1 text-sm text-slate-600">Your sites and the solar, wind, storage and thermal assets you bid.</p>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}

      <Card title={`Assets (${data.assets.length})`}>
        {data.assets.length === 0
          ? (
            <p class="text-sm text-slate-600">
              No assets yet{data.canWrite ? ": add a site, then an asset below." : "."}
            </p>
          )
          : (
            <ul class="-mx-5 divide-y divide-slate-100 border-t border-slate-200" data-testid="asset-list">
              {data.assets.map((a) => (
                <li key={a.id}>
                  <a
                    href={`/assets/${a.id}`}
                    class="flex flex-wrap items-center justify-between gap-2 px-5 py-3 hover:bg-slate-50"
                  >
                    <div class="min-w-0">
                      <p class="font-medium">{a.name}</p>
                      <p class="truncate text-xs text-slate-500">
                        {KIND_LABEL[a.kind]} · {a.site_name} · {a.zone} {a.node}
                      </p>
                    </div>
                    <p class="text-sm tabular-nums text-slate-700">
                      {a.capacity_mw} MW
                      {a.kind === "storage" && ` · ${a.energy_mwh} MWh`}
                    </p>
                  </a>
                </li>
              ))}
            </ul>
          )}
      </Card>

      <Card title={`Sites (${data.sites.length})`}>
        {data.sites.length > 0 && (
          <ul class="mb-4 grid gap-2 sm:grid-cols-2">
            {data.sites.map((s) => (
              <li key={s.id} class="rounded-lg border border-slate-200 px-3 py-2 text-sm">
                <p class="font-medium">{s.name}</p>
                <p class="text-xs text-slate-500">
                  {s.zone} · {s.node} · {s.latitude.toFixed(3)}, {s.longitude.toFixed(3)} · {s.asset_count} asset(s)
                </p>
              </li>
            ))}
          </ul>
        )}
        {data.canWrite && (
          <form method="post" class="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" noValidate>
            <input type="hidden" name="_action" value="site" />
            <FormError message={e("site")._form} />
            <Field name="name" label="Site name" value={v("site", "name")} error={e("site").name} />
            <Select name="zone" label="Zone" options={ISOS} value={v("site", "zone") ?? "PJM"} error={e("site").zone} />
            <Field name="node" label="Pricing node or hub" value={v("site", "node")} error={e("site").node} />
            <Field
              name="latitude"
              label="Latitude"
              inputmode="text"
              value={v("site", "latitude")}
              error={e("site").latitude}
            />
            <Field
              name="longitude"
              label="Longitude"
              inputmode="text"
              value={v("site", "longitude")}
              error={e("site").longitude}
            />
            <div class="flex items-end">
              <Button variant="secondary">Add site</Button>
            </div>
          </form>
        )}
      </Card>

      {data.canWrite && data.sites.length > 0 && (
        <Card
          title="Add an asset"
          description="Storage also needs its energy, power, efficiency and state-of-charge limits."
        >
          <form method="post" class="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" noValidate>
            <input type="hidden" name="_action" value="asset" />
            <FormError message={e("asset")._form} />
            <Select
              name="site_id"
              label="Site"
              options={data.sites.map((s) => ({ value: s.id, label: `${s.name} (${s.zone})` }))}
              value={v("asset", "site_id")}
              error={e("asset").site_id}
            />
            <Field name="name" label="Asset name" value={v("asset", "name")} error={e("asset").name} />
            <Select
              name="kind"
              label="Kind"
              options={ASSET_KIND_LIST.map((k) => ({ value: k, label: KIND_LABEL[k] }))}
              value={v("asset", "kind") ?? "solar"}
              error={e("asset").kind}
            />
            <Field
              name="capacity_mw"
              label="Capacity (MW)"
              value={v("asset", "capacity_mw")}
              error={e("asset").capacity_mw}
            />
            {STORAGE_FIELDS.map(([name, label]) => (
              <Field key={name} name={name} label={label} value={v("asset", name)} error={e("asset")[name]} />
            ))}
            <div class="flex items-end">
              <Button>Add asset</Button>
            </div>
          </form>
        </Card>
      )}
    </div>
  );
});
