/** A site: edit it, or delete it (refused, with the reason, while assets are on it). */
import { type FreshContext, page } from "fresh";
import type { z } from "zod";
import { Button, Card, type FieldErrors, Notice } from "../../../../components/Form.tsx";
import {
  asValues,
  CONFIRM_DELETE,
  DeleteCard,
  SITE_LABELS,
  SiteFields,
  siteForm,
} from "../../../../components/AssetForms.tsx";
import { formErrorsOf, formObject, parseForm, redirect, signedIn } from "../../../../server/pages.ts";
import { toHttpError } from "../../../../server/errors.ts";
import { HttpError } from "../../../../framework/http_error.ts";
import { can } from "../../../../services/auth/rbac.ts";
import { deleteSite, updateSite } from "../../../../services/assets/actions.ts";
import type { siteInput, SiteView } from "../../../../services/assets/schemas.ts";
import { getSite } from "../../../../services/assets/store.ts";
import type { Principal } from "../../../../services/auth/principal.ts";
import { define, type State } from "../../../../utils.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Data {
  site: SiteView;
  canWrite: boolean;
  form?: "edit" | "delete";
  errors: FieldErrors;
  values?: Record<string, string>;
  notice?: string;
}

async function load(ctx: FreshContext<State>, p: Principal, extra: Partial<Data> = {}): Promise<Data> {
  if (!UUID.test(ctx.params.id)) throw new HttpError(404, "No such site");
  const site = await getSite(ctx.state.services.db(), p.orgId, ctx.params.id) as SiteView;
  return { site, canWrite: can(p.role, "assets:write"), errors: {}, ...extra };
}

/** A delete is confirmed on the form itself (a box to tick), so it works without JavaScript. */

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const notice = ctx.url.searchParams.get("done") === "saved" ? "Site saved." : undefined;
    return page<Data>(await load(ctx, p, { notice }));
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    if (!UUID.test(ctx.params.id)) throw new HttpError(404, "No such site");
    const values = await formObject(ctx.req);
    const action = values._action === "delete" ? "delete" : "edit";
    delete values._action;
    const db = ctx.state.services.db();
    const actor = { principal: p, ip: ctx.state.ip };
    try {
      if (action === "delete") {
        if (values.confirm !== "yes") {
          return page<Data>(await load(ctx, p, { form: "delete", errors: { _form: CONFIRM_DELETE } }), { status: 400 });
        }
        await deleteSite(db, actor, ctx.params.id);
        return redirect("/assets?done=site-deleted");
      }
      const parsed = parseForm(siteForm, values, SITE_LABELS);
      if (!parsed.ok) {
        return page<Data>(await load(ctx, p, { form: "edit", errors: parsed.errors, values }), { status: 400 });
      }
      await updateSite(db, actor, ctx.params.id, parsed.data as z.infer<typeof siteInput>);
      return redirect(`/assets/sites/${ctx.params.id}?done=saved`);
    } catch (e) {
      return page<Data>(await load(ctx, p, { form: action, errors: formErrorsOf(e), values }), {
        status: toHttpError(e)?.status ?? 400,
      });
    }
  },
});

export default define.page<typeof handler>(function SiteEdit({ data }) {
  const { site } = data;
  return (
    <div class="space-y-6">
      <header>
        <p class="text-sm">
          <a href="/assets" class="text-brand-600 hover:underline">Assets</a>
        </p>
        <h1 class="text-2xl font-bold tracking-tight">Site {site.name}</h1>
        <p class="mt-1 text-sm text-slate-600">
          {site.zone} · {site.node} · {site.asset_count} asset(s)
        </p>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      {data.canWrite && (
        <div class="grid gap-6 lg:grid-cols-3">
          <div class="min-w-0 lg:col-span-2">
            <Card title="Edit site">
              <form method="post" class="grid gap-3 sm:grid-cols-2" noValidate data-testid="site-edit">
                <input type="hidden" name="_action" value="edit" />
                <SiteFields
                  values={data.form === "edit" && data.values ? data.values : asValues(site)}
                  errors={data.form === "edit" ? data.errors : {}}
                />
                <div class="flex items-end">
                  <Button>Save site</Button>
                </div>
              </form>
            </Card>
          </div>
          <DeleteCard
            title="Delete site"
            description="Only a site without assets can be deleted."
            testId="site-delete"
            name={site.name}
            error={data.form === "delete" ? data.errors._form : undefined}
          />
        </div>
      )}
    </div>
  );
});
