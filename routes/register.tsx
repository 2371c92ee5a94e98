import { page } from "fresh";
import { z } from "zod";
import { AuthCard } from "../components/AuthLayout.tsx";
import { Button, Field, type FieldErrors, Notice } from "../components/Form.tsx";
import { adoptBrowserZone, metaOf, sessionCookies } from "../server/auth_http.ts";
import { BrowserTimeZone } from "../components/BrowserTimeZone.tsx";
import { formErrorsOf, formObject, parseForm, redirect } from "../server/pages.ts";
import { PASSWORD_MAX, PASSWORD_MIN } from "../services/auth/password_policy.ts";
import { toHttpError } from "../server/errors.ts";
import { text } from "../services/schemas/text.ts";
import { define } from "../utils.ts";

interface Data {
  values: { email: string; name: string; organization_name: string };
  invitation: string;
  errors: FieldErrors;
}

const form = z.object({
  name: text({ min: 1, max: 120, minMessage: "Enter your name" }),
  email: z.string().trim().min(1, "Enter your email").email("Enter a valid email address"),
  password: z.string().min(1, "Choose a password").max(PASSWORD_MAX, `At most ${PASSWORD_MAX} characters`),
  organization_name: text({ max: 120 }).optional(),
  invitation_token: z.string().trim().max(200).optional(),
}).refine((f) => f.invitation_token || (f.organization_name && f.organization_name.length >= 2), {
  message: "Name your organization (at least 2 characters)",
  path: ["organization_name"],
});

export const handler = define.handlers({
  GET(ctx) {
    if (ctx.state.auth) return ctx.redirect("/", 303);
    const invitation = ctx.url.searchParams.get("invitation") ?? "";
    return page<Data>({ values: { email: "", name: "", organization_name: "" }, invitation, errors: {} });
  },
  async POST(ctx) {
    const v = await formObject(ctx.req);
    const values = { email: v.email ?? "", name: v.name ?? "", organization_name: v.organization_name ?? "" };
    const invitation = v.invitation_token ?? "";
    const parsed = parseForm(form, v);
    if (!parsed.ok) return page<Data>({ values, invitation, errors: parsed.errors }, { status: 400 });
    const d = parsed.data;
    try {
      const tokens = await ctx.state.services.auth.accounts.register({
        email: d.email,
        password: d.password,
        name: d.name,
        ...(d.invitation_token ? { invitation_token: d.invitation_token } : { organization_name: d.organization_name }),
      }, metaOf(ctx));
      await adoptBrowserZone(ctx, tokens.user.id, v.time_zone);
      return redirect("/", sessionCookies(ctx.url, tokens));
    } catch (e) {
      const http = toHttpError(e);
      const status = http?.status ?? 400;
      const errors = formErrorsOf(e);
      if (http?.options.code === "email_taken") {
        errors.email = http.message;
        delete errors._form;
      }
      return page<Data>({ values, invitation, errors }, {
        status,
        headers: http?.options.headers,
      });
    }
  },
});

export default define.page<typeof handler>(function Register({ data }) {
  const { errors, values } = data;
  const joining = Boolean(data.invitation);
  return (
    <AuthCard
      title={joining ? "Join your team" : "Create your organization"}
      subtitle={
        <>
          Have an account? <a class="font-medium text-brand-600 hover:text-brand-700" href="/login">Sign in</a>
        </>
      }
    >
      <form method="post" action="/register" class="space-y-4" noValidate>
        <BrowserTimeZone />
        {errors._form && <Notice kind="error">{errors._form}</Notice>}
        {errors.invitation_token && <Notice kind="error">The invitation {errors.invitation_token}.</Notice>}
        <Field name="name" label="Your name" value={values.name} error={errors.name} autocomplete="name" required />
        <Field
          name="email"
          label="Work email"
          type="email"
          value={values.email}
          error={errors.email}
          autocomplete="email"
          hint={joining ? "The address your invitation was sent to." : undefined}
          required
        />
        <Field
          name="password"
          label="Password"
          type="password"
          error={errors.password}
          autocomplete="new-password"
          hint={`${PASSWORD_MIN}–${PASSWORD_MAX} characters; a few unusual words make a strong one.`}
          required
        />
        {joining ? <input type="hidden" name="invitation_token" value={data.invitation} /> : (
          <Field
            name="organization_name"
            label="Organization"
            value={values.organization_name}
            error={errors.organization_name}
            autocomplete="organization"
            hint="You will be its first admin and can invite your team."
            required
          />
        )}
        <Button>{joining ? "Join" : "Create account"}</Button>
      </form>
    </AuthCard>
  );
});
