import { page } from "fresh";
import { z } from "zod";
import { Button, Card, Field, type FieldErrors, Notice, RowAction, Select } from "../../components/Form.tsx";
import { SecretBox } from "../../components/SecretBox.tsx";
import { metaOf, sessionCookies } from "../../server/auth_http.ts";
import type { ApiKeyView } from "../../services/auth/organization.ts";
import { doneNotice, doneRedirect, formErrorsOf, formObject, parseForm, signedIn } from "../../server/pages.ts";
import { toHttpError } from "../../server/errors.ts";
import { redirectWithSecret, takeSecret } from "../../server/once_secret.ts";
import type { Principal } from "../../services/auth/principal.ts";
import { ROLES, roleWithin } from "../../services/auth/rbac.ts";
import { text } from "../../services/schemas/text.ts";
import { formatUserTime } from "../../services/market/market_time.ts";
import { define, type State } from "../../utils.ts";
import type { FreshContext } from "fresh";

interface Data {
  user: { name: string; email: string; mfa_enabled: boolean; role: string };
  keys: ApiKeyView[];
  assignableRoles: string[];
  /** Which form the errors and notice belong to. */
  form?: string;
  errors: FieldErrors;
  notice?: string;
  mfaSetup?: { secret: string; qr_svg: string };
  backupCodes?: string[];
  newKey?: string;
  /** The user's time zone (/settings), for "last used". */
  timeZone: string;
}

async function load(ctx: FreshContext<State>, p: Principal, extra: Partial<Data> = {}): Promise<Data> {
  const { services } = ctx.state;
  // Independent reads, so at once (mfaPending is null itself once MFA is on).
  const [me, keys, pending] = await Promise.all([
    services.auth.profile.me(p),
    p.role === "viewer" ? [] : services.auth.org.apiKeys(p, { own: true }),
    services.auth.accounts.mfaPending(p),
  ]);
  const { name, email, mfa_enabled } = me.user;
  const u = { name, email, mfa_enabled };
  return {
    user: { ...u, role: p.role },
    keys,
    timeZone: me.user.preferences?.time_zone ?? "UTC",
    assignableRoles: ROLES.filter((r) => roleWithin(r, p.role)),
    errors: {},
    mfaSetup: pending ?? undefined,
    ...extra,
  };
}

const forms = {
  name: z.object({ name: text({ min: 1, max: 120, minMessage: "Enter your name" }) }),
  password: z.object({
    current_password: z.string().min(1, "Enter your current password"),
    new_password: z.string().min(1, "Choose a new password").max(128),
    confirm_password: z.string(),
  }).refine((f) => f.new_password === f.confirm_password, {
    message: "The two new passwords differ",
    path: ["confirm_password"],
  }),
  mfa_verify: z.object({ code: z.string().trim().regex(/^\d{6}$/, "Enter the 6-digit code") }),
  mfa_disable: z.object({
    password: z.string().min(1, "Enter your password"),
    code: z.string().trim().min(6, "Enter a code"),
  }),
  api_key_create: z.object({ name: text({ min: 1, max: 80, minMessage: "Name the key" }), role: z.enum(ROLES) }),
  api_key_revoke: z.object({ id: z.uuid() }),
};

/** What a successful form says after its redirect, by the form's action. */
const NOTICES = {
  name: "Name saved.",
  password: "Password changed. Your other sessions were signed out.",
  mfa_setup: "",
  mfa_disable: "Two-factor authentication is off.",
  api_key_revoke: "API key revoked.",
};

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const { form, notice } = doneNotice(ctx, NOTICES);
    // At most one of the two secrets is waiting: the cookie names one entry of one kind.
    const key = await takeSecret<string>(ctx, p, "api_key");
    const codes = key.value === undefined ? await takeSecret<string[]>(ctx, p, "backup_codes") : {};
    const headers = key.headers ?? codes.headers;
    const data = await load(ctx, p, {
      form,
      notice: notice || undefined,
      newKey: key.value,
      backupCodes: codes.value,
    });
    return page<Data>(data, { headers });
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const { auth } = ctx.state.services;
    const values = await formObject(ctx.req);
    const action = values._action as keyof typeof forms | "mfa_setup";
    const meta = metaOf(ctx);
    const fail = async (errors: FieldErrors, status = 400) =>
      page<Data>(await load(ctx, p, { form: action, errors }), { status });
    try {
      if (action === "mfa_setup") {
        await auth.accounts.mfaSetup(p, meta);
        // The pending setup (secret, QR) is read back on the GET.
        return doneRedirect(ctx, action);
      }
      const schema = forms[action];
      if (!schema) return await fail({ _form: "Unknown action" });
      const parsed = parseForm(schema as z.ZodType, values);
      if (!parsed.ok) return await fail(parsed.errors);
      const d = parsed.data as Record<string, string>;
      switch (action) {
        case "name":
          await auth.profile.update(p.userId, { name: d.name });
          return doneRedirect(ctx, action);
        case "password": {
          const tokens = await auth.accounts.changePassword(p, d.current_password, d.new_password, meta);
          return doneRedirect(ctx, action, sessionCookies(ctx.url, tokens));
        }
        case "mfa_verify": {
          const { backup_codes } = await auth.accounts.mfaVerify(p, d.code, meta);
          return await redirectWithSecret(ctx, p, "backup_codes", backup_codes);
        }
        case "mfa_disable":
          await auth.accounts.mfaDisable(p, { password: d.password, code: d.code }, meta);
          return doneRedirect(ctx, action);
        case "api_key_create": {
          const r = await auth.org.createApiKey(p, { name: d.name, role: d.role as Principal["role"] }, ctx.state.ip);
          return await redirectWithSecret(ctx, p, "api_key", r.key);
        }
        case "api_key_revoke":
          await auth.org.revokeApiKey(p, d.id, ctx.state.ip);
          return doneRedirect(ctx, action);
      }
    } catch (e) {
      return await fail(formErrorsOf(e), toHttpError(e)?.status ?? 400);
    }
  },
});

function errorsFor(data: Data, form: string): FieldErrors {
  return data.form === form ? data.errors : {};
}

export default define.page<typeof handler>(function Profile({ data }) {
  const { user } = data;
  const e = (form: string) => errorsFor(data, form);
  const notice = (form: string) =>
    data.form === form && data.notice ? <Notice kind="success">{data.notice}</Notice> : null;
  const formError = (form: string) => e(form)._form ? <Notice kind="error">{e(form)._form}</Notice> : null;
  return (
    <div class="mx-auto max-w-3xl space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Profile</h1>
        <p class="mt-1 text-sm text-slate-600">
          {user.email} · <span class="capitalize">{user.role}</span> ·{" "}
          <a class="text-brand-600 hover:underline" href="/settings">Settings</a>
        </p>
      </header>

      <Card title="Name" id="name">
        <form method="post" class="flex flex-col gap-3 sm:flex-row sm:items-end">
          <input type="hidden" name="_action" value="name" />
          <div class="flex-1">
            <Field name="name" label="Display name" value={user.name} error={e("name").name} autocomplete="name" />
          </div>
          <Button variant="secondary">Save</Button>
        </form>
        <div class="mt-3">{notice("name")}{formError("name")}</div>
      </Card>

      <Card title="Password" id="password" description="Changing it signs you out everywhere else.">
        <form method="post" class="space-y-3">
          <input type="hidden" name="_action" value="password" />
          {notice("password")}
          {formError("password")}
          <Field
            name="current_password"
            label="Current password"
            type="password"
            autocomplete="current-password"
            error={e("password").current_password}
          />
          <Field
            name="new_password"
            label="New password"
            type="password"
            autocomplete="new-password"
            error={e("password").new_password}
            hint="12–128 characters; not a common or guessable one."
          />
          <Field
            name="confirm_password"
            label="New password again"
            type="password"
            autocomplete="new-password"
            error={e("password").confirm_password}
          />
          <Button>Change password</Button>
        </form>
      </Card>

      <Card title="Two-factor authentication" id="mfa">
        <div class="space-y-3">
          {notice("mfa_disable")}
          {data.backupCodes && (
            <>
              <Notice kind="success">Two-factor authentication is on.</Notice>
              <SecretBox label="Backup codes (each works once)" value={data.backupCodes} testId="backup-codes" />
            </>
          )}
          {user.mfa_enabled && !data.backupCodes && (
            <form method="post" class="space-y-3">
              <p class="text-sm text-slate-700">
                <span class="font-semibold text-emerald-700">On.</span>{" "}
                Sign-ins ask for a code from your authenticator app.
              </p>
              <input type="hidden" name="_action" value="mfa_disable" />
              {formError("mfa_disable")}
              <Field
                name="password"
                label="Password"
                type="password"
                error={e("mfa_disable").password}
                autocomplete="current-password"
              />
              <Field
                name="code"
                label="Code or backup code"
                error={e("mfa_disable").code}
                autocomplete="one-time-code"
              />
              <Button variant="danger">Turn off</Button>
            </form>
          )}
          {!user.mfa_enabled && data.mfaSetup && (
            <form method="post" class="space-y-3">
              <p class="text-sm text-slate-700">
                Scan this code with an authenticator app, then enter the code it shows.
              </p>
              <img
                src={`data:image/svg+xml;base64,${btoa(data.mfaSetup.qr_svg)}`}
                alt="QR code for your authenticator app"
                width={180}
                height={180}
                class="rounded bg-white ring-1 ring-slate-200"
                data-testid="mfa-qr"
              />
              <p class="text-xs text-slate-500">
                Or enter this key:{" "}
                <code class="break-all font-mono" data-testid="mfa-secret">{data.mfaSetup.secret}</code>
              </p>
              <input type="hidden" name="_action" value="mfa_verify" />
              {formError("mfa_verify")}
              <Field
                name="code"
                label="Code"
                inputmode="numeric"
                autocomplete="one-time-code"
                error={e("mfa_verify").code}
              />
              <Button>Turn on</Button>
            </form>
          )}
          {!user.mfa_enabled && !data.mfaSetup && (
            <form method="post" class="space-y-3">
              <p class="text-sm text-slate-700">Off. Add a second step to sign-in with an authenticator app.</p>
              <input type="hidden" name="_action" value="mfa_setup" />
              {formError("mfa_setup")}
              <Button variant="secondary">Set up</Button>
            </form>
          )}
        </div>
      </Card>

      <Card
        title="API keys"
        id="api-keys"
        description="For scripts and integrations: send as Authorization: Bearer <key>."
      >
        {user.role === "viewer"
          ? <p class="text-sm text-slate-600">Your role cannot create API keys.</p>
          : (
            <div class="space-y-4">
              {data.newKey && <SecretBox label="Your new API key" value={data.newKey} testId="new-api-key" />}
              {notice("api_key_revoke")}
              {formError("api_key_revoke")}
              {data.keys.length
                ? (
                  <ul class="divide-y divide-slate-200 rounded-lg border border-slate-200">
                    {data.keys.map((k) => (
                      <li key={k.id} class="flex flex-wrap items-center justify-between gap-2 px-3 py-2">
                        <div>
                          <p class="text-sm font-medium">{k.name}</p>
                          <p class="text-xs text-slate-500">
                            <code>{k.prefix}…</code> · {k.role} · last used{" "}
                            {k.last_used_at ? formatUserTime(data.timeZone, k.last_used_at) : "never"}
                          </p>
                        </div>
                        <RowAction action="api_key_revoke" field="id" id={k.id}>Revoke</RowAction>
                      </li>
                    ))}
                  </ul>
                )
                : <p class="text-sm text-slate-600">No keys yet.</p>}
              <form method="post" class="grid gap-3 sm:grid-cols-[1fr_10rem_auto] sm:items-end">
                <input type="hidden" name="_action" value="api_key_create" />
                <Field name="name" label="Key name" error={e("api_key_create").name} />
                <Select
                  name="role"
                  label="Role"
                  options={data.assignableRoles}
                  value={user.role}
                  error={e("api_key_create").role}
                />
                <Button variant="secondary">Create key</Button>
              </form>
              {formError("api_key_create")}
            </div>
          )}
      </Card>
    </div>
  );
});
