import { page } from "fresh";
import { AdminNav } from "../../../components/AdminNav.tsx";
import { Card } from "../../../components/Form.tsx";
import { QuotaTable, type QuotaUse } from "../../../components/AdminQuotas.tsx";
import { platformAdminViewer } from "../../../server/admin_http.ts";
import { signedIn } from "../../../server/pages.ts";
import type { EffectiveFlag } from "../../../services/admin/service.ts";
import { holdings } from "../../../services/admin/store.ts";
import { usageDays } from "../../../services/admin/usage.ts";
import { utcDay } from "../../../services/admin/quotas.ts";
import { define } from "../../../utils.ts";

interface Data {
  orgName: string;
  use: QuotaUse;
  flags: EffectiveFlag[];
}

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const { admin, auth, realtime } = ctx.state.services;
    const db = ctx.state.services.db();
    await admin.meter.flushUsage();
    const today = utcDay(Date.now());
    const [org, held, [day], flags] = await Promise.all([
      auth.org.get(p),
      holdings(db, p.orgId),
      usageDays(db, p.orgId, { from: today, to: today }),
      admin.flagsFor(p.orgId),
    ]);
    return page<Data>({
      orgName: org.name,
      flags,
      use: {
        limits: admin.quotasOf(p.orgId),
        used: {
          api_requests_per_minute: null,
          api_requests_per_day: day.api_requests,
          bids_per_day: day.bids,
          assets: held.assets,
          api_keys: held.api_keys,
          ws_connections: realtime.connectionsOf(p.orgId),
        },
      },
    });
  },
});

export default define.page<typeof handler>(function AdminOverview({ data, state }) {
  const operator = platformAdminViewer(state);
  return (
    <div class="space-y-6">
      <AdminNav current="/admin" operator={operator} />
      <header>
        <h1 class="text-2xl font-bold tracking-tight">{data.orgName}</h1>
        <p class="mt-1 text-sm text-slate-600">
          Your organization's quotas and what it uses of them today (UTC), and the features it has.
        </p>
      </header>
      {operator && (
        <p class="rounded-md bg-indigo-50 p-3 text-sm text-indigo-900 ring-1 ring-indigo-200">
          You are a platform admin: <a class="font-medium underline" href="/admin/organizations">every organization</a>
          {" "}
          and the <a class="font-medium underline" href="/admin/system">system's live metrics</a>.
        </p>
      )}
      <Card title="Quotas" description="Over a quota, requests are refused with 429 until its window ends.">
        <QuotaTable use={data.use} />
      </Card>
      <Card title="Features" description="Set by the platform's operator.">
        <ul class="divide-y divide-slate-100 text-sm" data-testid="flags">
          {data.flags.map((f) => (
            <li key={f.key} class="flex items-center justify-between gap-3 py-2">
              <span>
                <span class="font-mono text-xs">{f.key}</span>
                <span class="block text-slate-600">{f.description}</span>
              </span>
              <span
                class={`rounded-full px-2 py-0.5 text-xs font-medium ${
                  f.enabled ? "bg-emerald-100 text-emerald-800" : "bg-slate-200 text-slate-700"
                }`}
              >
                {f.enabled ? "On" : "Off"}
              </span>
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
});
