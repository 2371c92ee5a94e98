import { page } from "fresh";
import { z } from "zod";
import { AdminNav } from "../../../components/AdminNav.tsx";
import { ActorSelect } from "../../../components/ActorSelect.tsx";
import { platformAdminViewer } from "../../../server/admin_http.ts";
import { Button, Field, type FieldErrors, Notice } from "../../../components/Form.tsx";
import { parseForm, signedIn } from "../../../server/pages.ts";
import { auditActionFilter, type AuditRow, listAudit } from "../../../services/auth/audit.ts";
import type { MemberView } from "../../../services/auth/organization.ts";
import { define } from "../../../utils.ts";
import { zonedTimeToUtc } from "../../../services/market/clock.ts";
import { formatUserTime } from "../../../services/market/market_time.ts";

/** The filters as the form sends them: strings, empty when not used. */
interface Filters {
  actor: string;
  action: string;
  from: string;
  to: string;
  limit: string;
}

interface Data {
  filters: Filters;
  errors: FieldErrors;
  members: Pick<MemberView, "id" | "email">[];
  items: AuditRow[];
  /** The API's cursor (GET /api/admin/audit-logs): the next, older page starts after it. */
  nextCursor: string | null;
  /** Whether this is a later page (then "Newest" leads back to the first). */
  paged: boolean;
  /** The viewer's time zone (/settings): the times shown and the From/Until typed are on it. */
  timeZone: string;
}

const empty = z.literal("").transform(() => undefined);
/**
 * `<input type="datetime-local">` sends no zone: the page shows and takes the viewer's own time zone
 * (/settings; UTC until one is chosen), as audit times belong to no market.
 */
const localMinute = (timeZone: string) =>
  z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, "Use the date picker")
    .transform((v, ctx) => {
      try {
        return zonedTimeToUtc(timeZone, v.slice(0, 10), v.slice(11, 16));
      } catch {
        ctx.addIssue({ code: "custom", message: "Not a date" });
        return z.NEVER;
      }
    });

/** The API route's query rules, for a form's strings. */
const filtersSchema = (timeZone: string) =>
  z.object({
    actor: z.uuid("Pick a member").or(empty).optional(),
    action: auditActionFilter.or(empty).optional(),
    from: localMinute(timeZone).or(empty).optional(),
    to: localMinute(timeZone).or(empty).optional(),
    limit: z.coerce.number().int().min(1).max(200).or(empty).optional(),
    cursor: z.string().regex(/^\d{1,18}$/, "Not a page of this log").or(empty).optional(),
  });

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const params = Object.fromEntries(ctx.url.searchParams);
    const filters: Filters = {
      actor: params.actor ?? "",
      action: params.action ?? "",
      from: params.from ?? "",
      to: params.to ?? "",
      limit: params.limit ?? "",
    };
    const [all, prefs] = await Promise.all([
      ctx.state.services.auth.org.members(p),
      ctx.state.services.auth.profile.preferences(p.userId),
    ]);
    const members = all.map((m) => ({ id: m.id, email: m.email }));
    const timeZone = prefs.time_zone ?? "UTC";
    const parsed = parseForm(filtersSchema(timeZone), params);
    if (!parsed.ok) {
      return page<Data>(
        { filters, errors: parsed.errors, members, items: [], nextCursor: null, paged: false, timeZone },
        { status: 400 },
      );
    }
    const f = parsed.data;
    if (f.from && f.to && f.from >= f.to) {
      const errors = { to: "Must be after the start" };
      return page<Data>({ filters, errors, members, items: [], nextCursor: null, paged: false, timeZone }, {
        status: 400,
      });
    }
    const result = await listAudit(ctx.state.services.db(), {
      orgId: p.orgId,
      actor: f.actor,
      action: f.action,
      from: f.from,
      to: f.to,
      limit: f.limit ?? 50,
      cursor: f.cursor,
    });
    return page<Data>({
      filters,
      errors: {},
      members,
      items: result.items,
      nextCursor: result.nextCursor,
      paged: Boolean(f.cursor),
      timeZone,
    });
  },
});

function linkTo(filters: Filters, cursor?: string): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
  if (cursor) q.set("cursor", cursor);
  const s = q.toString();
  return s ? `/admin/audit?${s}` : "/admin/audit";
}

function details(d: Record<string, unknown>): string {
  const text = Object.keys(d ?? {}).length ? JSON.stringify(d) : "";
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

export default define.page<typeof handler>(function AdminAudit({ data, state }) {
  const { filters, errors } = data;
  return (
    <div class="space-y-6">
      <AdminNav current="/admin/audit" operator={platformAdminViewer(state)} />
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Audit log</h1>
        <p class="mt-1 text-sm text-slate-600">
          Who did what in your organization, newest first. Times are in your time zone ({data.timeZone}, from Settings).
          The same entries are at <code>GET /api/admin/audit-logs</code>.
        </p>
      </header>

      <form method="get" class="grid gap-3 sm:grid-cols-2 lg:grid-cols-[1fr_1fr_1fr_1fr_auto] lg:items-end">
        <ActorSelect members={data.members} value={filters.actor} error={errors.actor} />
        <Field
          name="action"
          label="Action"
          value={filters.action}
          error={errors.action}
          hint="e.g. auth.login, or auth.* for a family"
        />
        <Field name="from" label="From" type="datetime-local" value={filters.from} error={errors.from} />
        <Field name="to" label="Until" type="datetime-local" value={filters.to} error={errors.to} />
        {filters.limit && <input type="hidden" name="limit" value={filters.limit} />}
        <Button>Filter</Button>
      </form>
      {(errors.limit || errors.cursor) && <Notice kind="error">{errors.limit ?? errors.cursor}</Notice>}

      {data.items.length
        ? (
          <div class="overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="audit-table">
              <thead class="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th scope="col" class="px-3 py-2">Time</th>
                  <th scope="col" class="px-3 py-2">Actor</th>
                  <th scope="col" class="px-3 py-2">Action</th>
                  <th scope="col" class="px-3 py-2">Target</th>
                  <th scope="col" class="px-3 py-2">Address</th>
                  <th scope="col" class="px-3 py-2">Details</th>
                </tr>
              </thead>
              <tbody class="divide-y divide-slate-100">
                {data.items.map((e) => (
                  <tr key={e.id} data-audit-id={e.id} data-action={e.action}>
                    <td class="whitespace-nowrap px-3 py-2 tabular-nums">
                      <time datetime={new Date(e.created_at).toISOString()}>
                        {formatUserTime(data.timeZone, e.created_at)}
                      </time>
                    </td>
                    <td class="px-3 py-2">
                      {e.actor_email ?? (e.actor_api_key_id ? `API key ${e.actor_api_key_id.slice(0, 8)}…` : "—")}
                    </td>
                    <td class="whitespace-nowrap px-3 py-2 font-mono text-xs">{e.action}</td>
                    <td class="px-3 py-2 text-xs text-slate-600">
                      {e.target_type ? `${e.target_type} ${e.target_id ?? ""}` : "—"}
                    </td>
                    <td class="whitespace-nowrap px-3 py-2 text-xs text-slate-600">{e.ip ?? "—"}</td>
                    <td class="px-3 py-2">
                      <code class="break-all text-xs text-slate-600">{details(e.details)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
        : <p class="text-sm text-slate-600" data-testid="audit-empty">No entries match.</p>}

      <nav aria-label="Pages" class="flex justify-between text-sm">
        {data.paged ? <a class="text-brand-600 hover:underline" href={linkTo(filters)}>← Newest</a> : <span />}
        {data.nextCursor && (
          <a class="text-brand-600 hover:underline" rel="next" href={linkTo(filters, data.nextCursor)}>
            Older →
          </a>
        )}
      </nav>
    </div>
  );
});
