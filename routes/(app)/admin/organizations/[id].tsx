import { page } from "fresh";
import type { FreshContext } from "fresh";
import { z } from "zod";
import { AdminNav } from "../../../../components/AdminNav.tsx";
import { capitalized, QuotaTable, type QuotaUse } from "../../../../components/AdminQuotas.tsx";
import { Button, Card, Field, type FieldErrors, Notice, Select } from "../../../../components/Form.tsx";
import { UsageChart } from "../../../../components/UsageChart.tsx";
import { HttpError } from "../../../../framework/http_error.ts";
import { adminDeps, operatorCaller, requirePlatformAdminPage } from "../../../../server/admin_http.ts";
import { toHttpError } from "../../../../server/errors.ts";
import { doneNotice, doneRedirect, formErrorsOf, formObject, parseForm } from "../../../../server/pages.ts";
import {
  flagKey,
  reactivateOrganization,
  setFlagOverride,
  setQuotas,
  suspendOrganization,
} from "../../../../services/admin/actions.ts";
import { QUOTA_KEYS, QUOTA_LABELS, type QuotaOverrides, utcDay } from "../../../../services/admin/quotas.ts";
import type { EffectiveFlag } from "../../../../services/admin/service.ts";
import {
  getOrganization,
  holdings,
  type MemberRow,
  orgMembers,
  type OrgSummary,
  type UsageDay,
} from "../../../../services/admin/store.ts";
import { usageDays, usageRange } from "../../../../services/admin/usage.ts";
import { text } from "../../../../services/schemas/text.ts";
import { define, type State } from "../../../../utils.ts";

interface Data {
  org: OrgSummary;
  members: MemberRow[];
  own: QuotaOverrides | null;
  use: QuotaUse;
  days: UsageDay[];
  flags: EffectiveFlag[];
  form?: string;
  errors: FieldErrors;
  notice?: string;
}

async function load(ctx: FreshContext<State>, extra: Partial<Data> = {}): Promise<Data> {
  requirePlatformAdminPage(ctx);
  if (!z.uuid().safeParse(ctx.params.id).success) throw new HttpError(404);
  const db = ctx.state.services.db();
  const { admin, realtime } = ctx.state.services;
  const org = await getOrganization(db, ctx.params.id);
  if (!org) throw new HttpError(404, "No such organization");
  await admin.meter.flushUsage();
  const [members, days, held, flags] = await Promise.all([
    orgMembers(db, org.id),
    usageDays(db, org.id, usageRange({})),
    holdings(db, org.id),
    admin.flagsFor(org.id),
  ]);
  const today = days.at(-1) ?? { api_requests: 0, bids: 0 };
  return {
    org,
    members,
    own: admin.ownQuotas(org.id),
    days,
    flags,
    use: {
      limits: admin.quotasOf(org.id),
      used: {
        api_requests_per_minute: null,
        api_requests_per_day: today.api_requests,
        bids_per_day: today.bids,
        assets: held.assets,
        api_keys: held.api_keys,
        ws_connections: realtime.connectionsOf(org.id),
      },
    },
    errors: {},
    ...extra,
  };
}

const quota = z.literal("").transform(() => null).or(z.coerce.number().int().min(1).max(1_000_000_000));
const forms = {
  suspend: z.object({ reason: text({ max: 500 }) }),
  reactivate: z.object({}),
  quotas: z.object(Object.fromEntries(QUOTA_KEYS.map((k) => [k, quota])) as Record<string, typeof quota>),
  override: z.object({ key: flagKey, value: z.enum(["default", "on", "off"]) }),
};

const NOTICES = {
  suspend: "Suspended: its sessions have ended and its API keys stopped, on every instance.",
  reactivate: "Reactivated: its API keys work again and its members can sign in.",
  quotas: "Quotas saved.",
  override: "Feature override saved.",
};

export const handler = define.handlers({
  async GET(ctx) {
    return page<Data>(await load(ctx, doneNotice(ctx, NOTICES)));
  },
  async POST(ctx) {
    requirePlatformAdminPage(ctx);
    const values = await formObject(ctx.req);
    const action = values._action as keyof typeof forms;
    const fail = async (errors: FieldErrors, status = 400) =>
      page<Data>(await load(ctx, { form: action, errors }), { status });
    const schema = forms[action];
    if (!schema) return await fail({ _form: "Unknown action" });
    const { _action: _, ...fields } = values;
    const parsed = parseForm(schema as z.ZodType, fields, QUOTA_LABELS);
    if (!parsed.ok) return await fail(parsed.errors);
    const d = parsed.data as Record<string, unknown>;
    const id = ctx.params.id;
    try {
      const deps = adminDeps(ctx);
      const caller = operatorCaller(ctx);
      switch (action) {
        case "suspend":
          await suspendOrganization(deps, caller, id, { reason: (d.reason as string) || undefined });
          break;
        case "reactivate":
          await reactivateOrganization(deps, caller, id);
          break;
        case "quotas":
          await setQuotas(deps, caller, id, d as QuotaOverrides);
          break;
        case "override":
          await setFlagOverride(deps, caller, d.key as string, id, d.value === "default" ? null : d.value === "on");
          break;
      }
    } catch (e) {
      return await fail(formErrorsOf(e), toHttpError(e)?.status ?? 400);
    }
    return doneRedirect(ctx, action);
  },
});

export default define.page<typeof handler>(function Organization({ data }) {
  const { org, errors } = data;
  const formErrors = (name: string) => (data.form === name ? errors : {});
  return (
    <div class="space-y-6">
      <AdminNav current="/admin/organizations" operator />
      <header class="flex flex-wrap items-start justify-between gap-3">
        <div>
          <p class="text-sm">
            <a class="text-brand-600 hover:underline" href="/admin/organizations">← Organizations</a>
          </p>
          <h1 class="text-2xl font-bold tracking-tight">{org.name}</h1>
          <p class="mt-1 text-sm text-slate-600">
            Since {new Date(org.created_at).toISOString().slice(0, 10)} · {org.members} member(s) ·{" "}
            <span data-testid="org-status" class={org.suspended_at ? "font-semibold text-red-700" : "text-emerald-700"}>
              {org.suspended_at ? "Suspended" : "Active"}
            </span>
            {org.suspended_reason && <span class="text-slate-600">: {org.suspended_reason}</span>}
          </p>
        </div>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      {data.form && errors._form && <Notice kind="error">{errors._form}</Notice>}

      <div class="grid gap-4 lg:grid-cols-2">
        <Card title={org.suspended_at ? "Reactivate" : "Suspend"}>
          {org.suspended_at
            ? (
              <form method="post" class="space-y-3">
                <input type="hidden" name="_action" value="reactivate" />
                <p class="text-sm text-slate-600">Its API keys work again and its members can sign in again.</p>
                <Button>Reactivate</Button>
              </form>
            )
            : (
              <form method="post" class="space-y-3">
                <input type="hidden" name="_action" value="suspend" />
                <p class="text-sm text-slate-600">
                  Ends its sessions and stops its API keys and live connections at once; its data stays.
                </p>
                <Field name="reason" label="Reason (in its audit log)" error={formErrors("suspend").reason} />
                <Button variant="danger">Suspend organization</Button>
              </form>
            )}
        </Card>
        <Card title="Usage and quotas today">
          <QuotaTable use={data.use} />
        </Card>
      </div>

      <Card title="Last 30 days">
        <UsageChart days={data.days} />
        <p class="mt-2 text-sm">
          <a class="text-brand-600 hover:underline" href={`/admin/usage?org_id=${org.id}`}>
            Usage and billing overview
          </a>
          {" · "}
          <a class="text-brand-600 hover:underline" href={`/api/admin/usage/export.csv?org_id=${org.id}`} download>
            CSV
          </a>
        </p>
      </Card>

      <div class="grid gap-4 lg:grid-cols-2">
        <Card title="Quotas" description="Leave a field empty for the platform's default.">
          <form method="post" class="grid gap-3 sm:grid-cols-2">
            <input type="hidden" name="_action" value="quotas" />
            {QUOTA_KEYS.map((k) => (
              <Field
                key={k}
                name={k}
                label={capitalized(QUOTA_LABELS[k])}
                inputmode="numeric"
                value={data.own?.[k] == null ? "" : String(data.own[k])}
                hint={`Now ${data.use.limits[k].toLocaleString("en-US")}`}
                error={formErrors("quotas")[k]}
              />
            ))}
            <div class="sm:col-span-2">
              <Button>Save quotas</Button>
            </div>
          </form>
        </Card>
        <Card title="Features" description="An override beats the flag's default and rollout for this organization.">
          <ul class="divide-y divide-slate-100">
            {data.flags.map((f) => (
              <li key={f.key} class="py-2">
                <form method="post" class="flex flex-wrap items-end gap-3">
                  <input type="hidden" name="_action" value="override" />
                  <input type="hidden" name="key" value={f.key} />
                  <div class="min-w-0 flex-1 text-sm">
                    <span class="font-mono text-xs">{f.key}</span>
                    <span class="block text-slate-600" data-flag={f.key} data-enabled={String(f.enabled)}>
                      {f.enabled ? "On" : "Off"} ({f.source})
                    </span>
                  </div>
                  <Select
                    name="value"
                    label="Override"
                    compact
                    options={[
                      { value: "default", label: "None" },
                      { value: "on", label: "On" },
                      { value: "off", label: "Off" },
                    ]}
                    value={f.source === "override" ? (f.enabled ? "on" : "off") : "default"}
                  />
                  <Button variant="secondary">Set</Button>
                </form>
              </li>
            ))}
          </ul>
        </Card>
      </div>

      <Card title="Members">
        <div class="overflow-x-auto">
          <table class="min-w-full text-sm">
            <thead class="text-left text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th scope="col" class="py-1 pr-3">Member</th>
                <th scope="col" class="py-1 pr-3">Role</th>
                <th scope="col" class="py-1 pr-3">Status</th>
                <th scope="col" class="py-1">Joined</th>
              </tr>
            </thead>
            <tbody class="divide-y divide-slate-100">
              {data.members.map((m) => (
                <tr key={m.id}>
                  <td class="py-1.5 pr-3">
                    {m.name}
                    <span class="block break-all text-xs text-slate-500">{m.email}</span>
                  </td>
                  <td class="py-1.5 pr-3">{m.role}</td>
                  <td class="py-1.5 pr-3">{m.status}</td>
                  <td class="whitespace-nowrap py-1.5">{utcDay(new Date(m.joined_at).getTime())}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
});
