import { page } from "fresh";
import type { z } from "zod";
import { Button, Card, type FieldErrors, Notice } from "../../../components/Form.tsx";
import {
  ASSET_LABELS,
  AssetFields,
  assetForm,
  KIND_LABEL,
  SITE_LABELS,
  SiteFields,
  siteForm,
} from "../../../components/AssetForms.tsx";
import { formErrorsOf, formObject, parseForm, redirect, signedIn } from "../../../server/pages.ts";
import { toHttpError } from "../../../server/errors.ts";
import { can } from "../../../services/auth/rbac.ts";
import type { assetInput, siteInput } from "../../../services/assets/schemas.ts";
import { listAssets, listSites } from "../../../services/assets/store.ts";
import { createAsset, createSite } from "../../../services/assets/actions.ts";
import type { AssetView } from "../../../services/assets/schemas.ts";
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

/** What a finished form says after its redirect (`?done=`): a reload shows the page, not the POST again. */
export const DONE: Record<string, string> = {
  "site-added": "Site added.",
  "asset-added": "Asset added.",
  "site-deleted": "Site deleted.",
  "asset-deleted": "Asset deleted.",
};

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const done = DONE[ctx.url.searchParams.get("done") ?? ""];
    return page<Data>(await load(ctx, p, done ? { notice: done } : {}));
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const values = await formObject(ctx.req);
    const form = values._action === "site" ? "site" : "asset";
    delete values._action;
    const db = ctx.state.services.db();
    const parsed = parseForm(
      form === "site" ? siteForm : assetForm,
      values,
      form === "site" ? SITE_LABELS : ASSET_LABELS,
    );
    if (!parsed.ok) return page<Data>(await load(ctx, p, { form, errors: parsed.errors, values }), { status: 400 });
    try {
      const actor = { principal: p, ip: ctx.state.ip };
      if (form === "site") await createSite(db, actor, parsed.data as z.infer<typeof siteInput>);
      else await createAsset(db, actor, parsed.data as z.infer<typeof assetInput>);
      return redirect(`/assets?done=${form}-added`);
    } catch (e) {
      return page<Data>(await load(ctx, p, { form, errors: formErrorsOf(e), values }), {
        status: toHttpError(e)?.status ?? 400,
      });
    }
  },
});

export default define.page<typeof handler>(function Assets({ data }) {
  const e = (form: string) => data.form === form ? data.errors : {};
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
                <p class="flex items-baseline justify-between gap-2 font-medium">
                  {s.name}
                  {data.canWrite && (
                    <a href={`/assets/sites/${s.id}`} class="text-xs font-medium text-brand-600 hover:underline">
                      Edit
                    </a>
                  )}
                </p>
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
            <SiteFields values={data.form === "site" ? data.values : {}} errors={e("site")} />
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
            <AssetFields
              sites={data.sites}
              values={data.form === "asset" ? data.values : {}}
              errors={e("asset")}
            />
            <div class="flex items-end">
              <Button>Add asset</Button>
            </div>
          </form>
        </Card>
      )}
    </div>
  );
});
