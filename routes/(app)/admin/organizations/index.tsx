import { page } from "fresh";
import { AdminNav } from "../../../../components/AdminNav.tsx";
import { Button, Field } from "../../../../components/Form.tsx";
import { requirePlatformAdminPage } from "../../../../server/admin_http.ts";
import { listOrganizations, type OrgSummary } from "../../../../services/admin/store.ts";
import { textProblem } from "../../../../services/schemas/text.ts";
import { define } from "../../../../utils.ts";

interface Data {
  q: string;
  items: OrgSummary[];
  next: string | null;
}

const PAGE = 50;

export const handler = define.handlers({
  async GET(ctx) {
    requirePlatformAdminPage(ctx);
    const q = (ctx.url.searchParams.get("q") ?? "").trim().slice(0, 120);
    const before = ctx.url.searchParams.get("before") ?? "";
    const [created_at, id] = before.split("_");
    const cursor = created_at && id && !Number.isNaN(Date.parse(created_at)) &&
        /^[0-9a-f-]{36}$/i.test(id)
      ? { created_at, id }
      : undefined;
    const rows = await listOrganizations(ctx.state.services.db(), {
      limit: PAGE + 1,
      cursor,
      search: textProblem(q) ? undefined : q || undefined,
    });
    const items = rows.slice(0, PAGE);
    const last = items.at(-1);
    return page<Data>({
      q,
      items,
      next: rows.length > PAGE && last ? `${new Date(last.created_at).toISOString()}_${last.id}` : null,
    });
  },
});

export default define.page<typeof handler>(function Organizations({ data }) {
  return (
    <div class="space-y-6">
      <AdminNav current="/admin/organizations" operator />
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Organizations</h1>
        <p class="mt-1 text-sm text-slate-600">
          Every organization on this installation, newest first, with today's usage (UTC).
        </p>
      </header>
      <form method="get" class="flex flex-wrap items-end gap-3">
        <Field name="q" label="Name contains" value={data.q} />
        <Button>Search</Button>
      </form>
      <div class="overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
        <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="orgs">
          <thead class="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th scope="col" class="px-3 py-2">Organization</th>
              <th scope="col" class="px-3 py-2">Status</th>
              <th scope="col" class="px-3 py-2 text-right">Members</th>
              <th scope="col" class="px-3 py-2 text-right">Requests today</th>
              <th scope="col" class="px-3 py-2 text-right">Bids today</th>
              <th scope="col" class="px-3 py-2">Since</th>
            </tr>
          </thead>
          <tbody class="divide-y divide-slate-100">
            {data.items.map((o) => (
              <tr key={o.id} data-org={o.id}>
                <td class="px-3 py-2">
                  <a class="font-medium text-brand-700 hover:underline" href={`/admin/organizations/${o.id}`}>
                    {o.name}
                  </a>
                </td>
                <td class="px-3 py-2">
                  <span
                    class={`rounded-full px-2 py-0.5 text-xs font-medium ${
                      o.suspended_at ? "bg-red-100 text-red-800" : "bg-emerald-100 text-emerald-800"
                    }`}
                  >
                    {o.suspended_at ? "Suspended" : "Active"}
                  </span>
                </td>
                <td class="px-3 py-2 text-right tabular-nums">{o.members}</td>
                <td class="px-3 py-2 text-right tabular-nums">{o.api_requests_today.toLocaleString("en-US")}</td>
                <td class="px-3 py-2 text-right tabular-nums">{o.bids_today.toLocaleString("en-US")}</td>
                <td class="whitespace-nowrap px-3 py-2 text-xs text-slate-600">
                  {new Date(o.created_at).toISOString().slice(0, 10)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data.next && (
        <a
          class="text-sm text-brand-600 hover:underline"
          rel="next"
          href={`/admin/organizations?${new URLSearchParams({ q: data.q, before: data.next })}`}
        >
          Older →
        </a>
      )}
    </div>
  );
});
