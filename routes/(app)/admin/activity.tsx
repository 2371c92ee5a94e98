import { page } from "fresh";
import { z } from "zod";
import { AdminNav } from "../../../components/AdminNav.tsx";
import { ActorSelect } from "../../../components/ActorSelect.tsx";
import { Button, Field, type FieldErrors, Select } from "../../../components/Form.tsx";
import LiveAudit, { type FeedEntry } from "../../../islands/LiveAudit.tsx";
import { platformAdminViewer } from "../../../server/admin_http.ts";
import { parseForm, signedIn } from "../../../server/pages.ts";
import { auditActionFilter, listAudit } from "../../../services/auth/audit.ts";
import { plain } from "../../../services/auth/schemas.ts";
import { define } from "../../../utils.ts";

interface Data {
  filters: { actor: string; action: string };
  errors: FieldErrors;
  members: { id: string; email: string }[];
  entries: FeedEntry[];
  query: string;
  timeZone: string;
}

const empty = z.literal("").transform(() => undefined);
const filtersSchema = z.object({
  actor: z.uuid("Pick a member").or(empty).optional(),
  action: auditActionFilter.or(empty).optional(),
});

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const params = Object.fromEntries(ctx.url.searchParams);
    const filters = { actor: params.actor ?? "", action: params.action ?? "" };
    const [all, prefs] = await Promise.all([
      ctx.state.services.auth.org.members(p),
      ctx.state.services.auth.profile.preferences(p.userId),
    ]);
    const members = all.map((m) => ({ id: m.id, email: m.email }));
    const timeZone = prefs.time_zone ?? "UTC";
    const parsed = parseForm(filtersSchema, params);
    if (!parsed.ok) {
      return page<Data>({ filters, errors: parsed.errors, members, entries: [], query: "", timeZone }, { status: 400 });
    }
    const { items } = await listAudit(ctx.state.services.db(), {
      orgId: p.orgId,
      actor: parsed.data.actor,
      action: parsed.data.action,
      limit: 50,
    });
    const q = new URLSearchParams();
    if (parsed.data.actor) q.set("actor", parsed.data.actor);
    if (parsed.data.action) q.set("action", parsed.data.action);
    return page<Data>({
      filters,
      errors: {},
      members,
      entries: plain(items) as FeedEntry[],
      query: q.toString(),
      timeZone,
    });
  },
});

const FAMILIES = ["", "auth.*", "bid.*", "asset.*", "site.*", "api_key.*", "member.*", "invitation.*", "platform.*"];

export default define.page<typeof handler>(function AdminActivity({ data, state }) {
  const { filters, errors } = data;
  return (
    <div class="space-y-6">
      <AdminNav current="/admin/activity" operator={platformAdminViewer(state)} />
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Activity</h1>
        <p class="mt-1 text-sm text-slate-600">
          Your organization's audit log as it happens: new entries appear at the top without reloading. For older
          entries and time ranges, see the <a class="text-brand-600 hover:underline" href="/admin/audit">audit log</a>.
        </p>
      </header>
      <form method="get" class="grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end">
        <ActorSelect members={data.members} value={filters.actor} error={errors.actor} />
        {FAMILIES.includes(filters.action)
          ? (
            <Select
              name="action"
              label="Kind"
              options={FAMILIES.map((f) => ({ value: f, label: f ? f.replace(".*", "") : "Everything" }))}
              value={filters.action}
              error={errors.action}
            />
          )
          : <Field name="action" label="Action" value={filters.action} error={errors.action} />}
        <Button>Filter</Button>
      </form>
      <LiveAudit initial={data.entries} query={data.query} timeZone={data.timeZone} />
    </div>
  );
});
