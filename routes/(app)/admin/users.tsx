import { page } from "fresh";
import type { FreshContext } from "fresh";
import { z } from "zod";
import { Button, Card, Field, type FieldErrors, Notice, RowAction, Select } from "../../../components/Form.tsx";
import { SecretBox } from "../../../components/SecretBox.tsx";
import { AdminNav } from "../../../components/AdminNav.tsx";
import { platformAdminViewer } from "../../../server/admin_http.ts";
import type { InvitationView, MemberView } from "../../../services/auth/organization.ts";
import { doneNotice, doneRedirect, formErrorsOf, formObject, parseForm, signedIn } from "../../../server/pages.ts";
import { toHttpError } from "../../../server/errors.ts";
import { redirectWithSecret, takeSecret } from "../../../server/once_secret.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import { ROLES } from "../../../services/auth/rbac.ts";
import { formatUserTime } from "../../../services/market/market_time.ts";
import { define, type State } from "../../../utils.ts";

interface Data {
  me: string;
  orgName: string;
  members: MemberView[];
  invitations: InvitationView[];
  form?: string;
  /** The member a row-level error belongs to. */
  target?: string;
  errors: FieldErrors;
  notice?: string;
  inviteLink?: string;
  /** The viewer's time zone (/settings): join and expiry dates belong to no market. */
  timeZone: string;
}

async function load(ctx: FreshContext<State>, p: Principal, extra: Partial<Data> = {}): Promise<Data> {
  const { org } = ctx.state.services.auth;
  const [o, members, invitations, prefs] = await Promise.all([
    org.get(p),
    org.members(p),
    org.invitations(p),
    ctx.state.services.auth.profile.preferences(p.userId),
  ]);
  const timeZone = prefs.time_zone ?? "UTC";
  return { me: p.userId, orgName: o.name, members, invitations, errors: {}, timeZone, ...extra };
}

const forms = {
  invite: z.object({ email: z.string().trim().email("Enter a valid email address"), role: z.enum(ROLES) }),
  update: z.object({ user_id: z.uuid(), role: z.enum(ROLES), status: z.enum(["active", "disabled"]) }),
  remove: z.object({ user_id: z.uuid() }),
  revoke_invitation: z.object({ id: z.uuid() }),
};

/** What a successful form says after its redirect, by the form's action. */
const NOTICES = {
  update: "Member updated.",
  remove: "Member removed.",
  revoke_invitation: "Invitation revoked.",
};

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const link = await takeSecret<string>(ctx, p, "invite_link");
    const data = await load(ctx, p, { ...doneNotice(ctx, NOTICES), inviteLink: link.value });
    return page<Data>(data, { headers: link.headers });
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const { org } = ctx.state.services.auth;
    const values = await formObject(ctx.req);
    const action = values._action as keyof typeof forms;
    const schema = forms[action];
    const target = values.user_id;
    const fail = async (errors: FieldErrors, status = 400) =>
      page<Data>(await load(ctx, p, { form: action, target, errors }), { status });
    if (!schema) return await fail({ _form: "Unknown action" });
    const parsed = parseForm(schema as z.ZodType, values);
    if (!parsed.ok) return await fail(parsed.errors);
    const d = parsed.data as Record<string, string>;
    try {
      switch (action) {
        case "invite": {
          const r = await org.invite(p, { email: d.email, role: d.role as Principal["role"] }, ctx.state.ip);
          const link = new URL(`/register?invitation=${encodeURIComponent(r.token)}`, ctx.url).href;
          return await redirectWithSecret(ctx, p, "invite_link", link);
        }
        case "update":
          await org.updateMember(p, d.user_id, {
            role: d.role as Principal["role"],
            status: d.status as "active" | "disabled",
          }, ctx.state.ip);
          return doneRedirect(ctx, action);
        case "remove":
          await org.removeMember(p, d.user_id, ctx.state.ip);
          return doneRedirect(ctx, action);
        case "revoke_invitation":
          await org.revokeInvitation(p, d.id, ctx.state.ip);
          return doneRedirect(ctx, action);
      }
    } catch (e) {
      return await fail(formErrorsOf(e), toHttpError(e)?.status ?? 400);
    }
  },
});

/** The day on the viewer's clock ("2026-01-05"). */
const date = (d: Date | string, timeZone: string) => formatUserTime(timeZone, d).slice(0, 10);

export default define.page<typeof handler>(function AdminUsers({ data, state }) {
  const invErrors = data.form === "invite" ? data.errors : {};
  const rowError = (id: string) => data.target === id && data.errors._form ? data.errors._form : undefined;
  return (
    <div class="space-y-6">
      <AdminNav current="/admin/users" operator={platformAdminViewer(state)} />
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Members</h1>
        <p class="mt-1 text-sm text-slate-600">Who can use {data.orgName}, and what they may do.</p>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      {data.form !== "invite" && !data.target && data.errors._form && <Notice kind="error">{data.errors._form}</Notice>}

      <Card title={`People (${data.members.length})`}>
        <ul class="-mx-5 divide-y divide-slate-100 border-t border-slate-200">
          {data.members.map((m) => (
            <li
              key={m.id}
              data-member={m.email}
              class="flex flex-col gap-3 px-5 py-3 lg:flex-row lg:items-center lg:justify-between"
            >
              <div class="min-w-0">
                <p class="font-medium">{m.name}{m.id === data.me && <span class="ml-1 text-slate-500">(you)</span>}</p>
                <p class="truncate text-xs text-slate-500">
                  {m.email} · joined {date(m.joined_at, data.timeZone)}
                  {m.mfa_enabled && <span class="ml-2 rounded bg-emerald-50 px-1.5 text-emerald-700">2FA</span>}
                </p>
                {rowError(m.id) && <p class="mt-1 text-sm text-red-600" role="alert">{rowError(m.id)}</p>}
              </div>
              <div class="flex flex-wrap items-center gap-2">
                <form method="post" class="flex flex-wrap items-center gap-2">
                  <input type="hidden" name="_action" value="update" />
                  <input type="hidden" name="user_id" value={m.id} />
                  <div class="w-28">
                    <Select compact name="role" label={`Role of ${m.email}`} options={ROLES} value={m.role} />
                  </div>
                  <div class="w-28">
                    <Select
                      compact
                      name="status"
                      label={`Status of ${m.email}`}
                      options={["active", "disabled"]}
                      value={m.status}
                    />
                  </div>
                  <Button variant="secondary">Save</Button>
                </form>
                <RowAction action="remove" field="user_id" id={m.id}>Remove</RowAction>
              </div>
            </li>
          ))}
        </ul>
      </Card>

      <Card title="Invite someone" description="They get a link that lets them create an account in this organization.">
        <div class="space-y-4">
          {data.inviteLink && (
            <SecretBox label="Invitation link (valid 7 days)" value={data.inviteLink} testId="invite-link" />
          )}
          {invErrors._form && <Notice kind="error">{invErrors._form}</Notice>}
          <form method="post" class="grid gap-3 sm:grid-cols-[1fr_10rem_auto] sm:items-end">
            <input type="hidden" name="_action" value="invite" />
            <Field name="email" label="Email" type="email" error={invErrors.email} />
            <Select name="role" label="Role" options={ROLES} value="viewer" error={invErrors.role} />
            <Button>Invite</Button>
          </form>
          {data.invitations.length > 0 && (
            <div>
              <h3 class="text-sm font-semibold">Pending invitations</h3>
              <ul class="mt-2 divide-y divide-slate-200 rounded-lg border border-slate-200">
                {data.invitations.map((i) => (
                  <li key={i.id} class="flex flex-wrap items-center justify-between gap-2 px-3 py-2">
                    <p class="text-sm">
                      {i.email} · <span class="capitalize">{i.role}</span>
                      <span class="text-xs text-slate-500">
                        · expires {formatUserTime(data.timeZone, i.expires_at)}
                      </span>
                    </p>
                    <RowAction action="revoke_invitation" field="id" id={i.id}>Revoke</RowAction>
                  </li>
                ))}
              </ul>
            </div>
          )}
        </div>
      </Card>
    </div>
  );
});
