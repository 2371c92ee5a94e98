import { page } from "fresh";
import { z } from "zod";
import { AdminNav } from "../../../components/AdminNav.tsx";
import { Button, Card, Field, type FieldErrors } from "../../../components/Form.tsx";
import { UsageChart } from "../../../components/UsageChart.tsx";
import { platformAdminViewer, scopedOrg } from "../../../server/admin_http.ts";
import { parseForm, signedIn } from "../../../server/pages.ts";
import { toHttpError } from "../../../server/errors.ts";
import { utcDay } from "../../../services/admin/quotas.ts";
import type { UsageDay } from "../../../services/admin/store.ts";
import {
  type BillingOverview,
  billingOverview,
  monthSchema,
  usageDays,
  usageQuery,
  usageRange,
} from "../../../services/admin/usage.ts";
import { define } from "../../../utils.ts";

interface Data {
  filters: { from: string; to: string; month: string; org_id: string };
  errors: FieldErrors;
  days: UsageDay[];
  bill: BillingOverview | null;
  csv: string;
}

const empty = z.literal("").transform(() => undefined);
const formSchema = z.object({
  from: usageQuery.shape.from.or(empty),
  to: usageQuery.shape.to.or(empty),
  month: monthSchema.optional().or(empty),
  org_id: usageQuery.shape.org_id.or(empty),
});

export const handler = define.handlers({
  async GET(ctx) {
    signedIn(ctx);
    const params = Object.fromEntries(ctx.url.searchParams);
    const filters = {
      from: params.from ?? "",
      to: params.to ?? "",
      month: params.month ?? "",
      org_id: params.org_id ?? "",
    };
    const fail = (errors: FieldErrors) =>
      page<Data>({ filters, errors, days: [], bill: null, csv: "" }, { status: 400 });
    const parsed = parseForm(formSchema, params);
    if (!parsed.ok) return fail(parsed.errors);
    const orgId = scopedOrg(ctx, parsed.data.org_id);
    let range;
    try {
      range = usageRange(parsed.data);
    } catch (e) {
      return fail({ to: toHttpError(e)?.message ?? "Not a range" });
    }
    const { admin } = ctx.state.services;
    const db = ctx.state.services.db();
    await admin.meter.flushUsage();
    const month = parsed.data.month ?? utcDay(Date.now()).slice(0, 7);
    const [days, bill] = await Promise.all([
      usageDays(db, orgId, range),
      billingOverview(db, orgId, month, admin.quotasOf(orgId)),
    ]);
    const q = new URLSearchParams({ from: range.from, to: range.to });
    if (parsed.data.org_id) q.set("org_id", orgId);
    return page<Data>({
      filters: { ...filters, from: range.from, to: range.to, month },
      errors: {},
      days,
      bill,
      csv: `/api/admin/usage/export.csv?${q}`,
    });
  },
});

const fmt = (n: number) => n.toLocaleString("en-US");

export default define.page<typeof handler>(function AdminUsage({ data, state }) {
  const { filters, errors, bill } = data;
  return (
    <div class="space-y-6">
      <AdminNav current="/admin/usage" operator={platformAdminViewer(state)} />
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Usage</h1>
        <p class="mt-1 text-sm text-slate-600">
          What your organization used per UTC day, and a month's summary. The same figures are at{" "}
          <code>GET /api/admin/usage</code> and <code>GET /api/admin/billing</code>.
        </p>
      </header>
      <form method="get" class="grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end">
        <Field name="from" label="From (UTC day)" type="date" value={filters.from} error={errors.from} />
        <Field name="to" label="To (included)" type="date" value={filters.to} error={errors.to} />
        {filters.org_id && <input type="hidden" name="org_id" value={filters.org_id} />}
        <Button>Show</Button>
      </form>
      {data.days.length > 0 && (
        <Card title="API requests per day">
          <UsageChart days={data.days} />
          <p class="mt-3 text-sm">
            <a class="text-brand-600 hover:underline" href={data.csv} download>Download CSV</a>
          </p>
          <div class="mt-3 max-h-80 overflow-auto">
            <table class="w-full text-sm" data-testid="usage-table">
              <thead class="sticky top-0 bg-white text-left text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th scope="col" class="py-1 pr-2">Day</th>
                  <th scope="col" class="py-1 pr-2 text-right">Requests</th>
                  <th scope="col" class="py-1 pr-2 text-right">Bids</th>
                  <th scope="col" class="py-1 pr-2 text-right">WS</th>
                  <th scope="col" class="py-1 text-right">Refused</th>
                </tr>
              </thead>
              <tbody class="divide-y divide-slate-100 tabular-nums">
                {[...data.days].reverse().map((d) => (
                  <tr key={d.day}>
                    <td class="py-1 pr-2">{d.day}</td>
                    <td class="py-1 pr-2 text-right">{fmt(d.api_requests)}</td>
                    <td class="py-1 pr-2 text-right">{fmt(d.bids)}</td>
                    <td class="py-1 pr-2 text-right">{fmt(d.ws_connections)}</td>
                    <td class="py-1 text-right">{fmt(d.rejected)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
      {bill && (
        <Card title={`Billing overview, ${bill.month}`} description="What was used, not an invoice.">
          <form method="get" class="mb-3 flex flex-wrap items-end gap-3">
            <Field name="month" label="Month" type="month" value={filters.month} error={errors.month} />
            <input type="hidden" name="from" value={filters.from} />
            <input type="hidden" name="to" value={filters.to} />
            {filters.org_id && <input type="hidden" name="org_id" value={filters.org_id} />}
            <Button variant="secondary">Show month</Button>
          </form>
          <dl class="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4" data-testid="billing">
            {[
              ["API requests", fmt(bill.api_requests)],
              ["Bids", fmt(bill.bids)],
              ["WebSocket connections", fmt(bill.ws_connections)],
              ["Refused (quota)", fmt(bill.rejected)],
              ["Busiest day", bill.peak_day ? `${bill.peak_day.day} (${fmt(bill.peak_day.api_requests)})` : "—"],
              ["Assets", `${bill.holdings.assets} of ${fmt(bill.quotas.assets)}`],
              ["API keys", `${bill.holdings.api_keys} of ${fmt(bill.quotas.api_keys)}`],
              ["Members", String(bill.holdings.members)],
            ].map(([k, v]) => (
              <div key={k}>
                <dt class="text-xs text-slate-500">{k}</dt>
                <dd class="font-semibold tabular-nums">{v}</dd>
              </div>
            ))}
          </dl>
        </Card>
      )}
    </div>
  );
});
