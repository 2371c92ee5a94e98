import { page } from "fresh";
import { z } from "zod";
import { AuthCard } from "../components/AuthLayout.tsx";
import { Button, Field, type FieldErrors, Notice } from "../components/Form.tsx";
import { metaOf, sessionCookies } from "../server/auth_http.ts";
import { formErrorsOf, formObject, parseForm, redirect, safeNext } from "../server/pages.ts";
import { toHttpError } from "../server/errors.ts";
import { define } from "../utils.ts";

interface Data {
  email: string;
  next: string;
  errors: FieldErrors;
  askCode: boolean;
}

const form = z.object({
  email: z.string().trim().min(1, "Enter your email").email("Enter a valid email address"),
  password: z.string().min(1, "Enter your password").max(128),
  totp_code: z.string().trim().regex(/^(\d{6})?$/, "The code has 6 digits").optional(),
  backup_code: z.string().trim().max(32).optional(),
  next: z.string().optional(),
});

export const handler = define.handlers({
  GET(ctx) {
    const next = safeNext(ctx.url.searchParams.get("next"));
    if (ctx.state.auth) return ctx.redirect(next, 303);
    return page<Data>({ email: "", next, errors: {}, askCode: false });
  },
  async POST(ctx) {
    const values = await formObject(ctx.req);
    const next = safeNext(values.next);
    const parsed = parseForm(form, values);
    if (!parsed.ok) {
      return page<Data>({ email: values.email ?? "", next, errors: parsed.errors, askCode: false }, { status: 400 });
    }
    const { totp_code, backup_code, ...rest } = parsed.data;
    try {
      const tokens = await ctx.state.services.auth.accounts.login({
        ...rest,
        totp_code: totp_code || undefined,
        backup_code: backup_code || undefined,
      }, metaOf(ctx));
      return redirect(next, sessionCookies(ctx.url, tokens));
    } catch (e) {
      const errors = formErrorsOf(e);
      const http = toHttpError(e);
      const code = http?.options.code;
      const askCode = code === "mfa_required" || code === "invalid_mfa_code";
      if (askCode) {
        errors.totp_code = errors._form;
        delete errors._form;
      }
      const status = http?.status ?? 400;
      const headers = http?.options.headers;
      return page<Data>({ email: rest.email, next, errors, askCode }, { status, headers });
    }
  },
});

export default define.page<typeof handler>(function Login({ data }) {
  const { errors } = data;
  return (
    <AuthCard
      title="Sign in"
      subtitle={
        <>
          New to OptiBid?{" "}
          <a class="font-medium text-brand-600 hover:text-brand-700" href="/register">Create an account</a>
        </>
      }
    >
      <form method="post" action="/login" class="space-y-4" noValidate>
        {errors._form && <Notice kind="error">{errors._form}</Notice>}
        <input type="hidden" name="next" value={data.next} />
        <Field
          name="email"
          label="Email"
          type="email"
          value={data.email}
          error={errors.email}
          autocomplete="username"
          required
        />
        <Field
          name="password"
          label="Password"
          type="password"
          error={errors.password}
          autocomplete="current-password"
          required
        />
        {data.askCode
          ? (
            <>
              <Field
                name="totp_code"
                label="Authentication code"
                inputmode="numeric"
                autocomplete="one-time-code"
                error={errors.totp_code}
                hint="The 6-digit code from your authenticator app."
              />
              <Field name="backup_code" label="Or a backup code" autocomplete="off" error={errors.backup_code} />
            </>
          )
          : <input type="hidden" name="totp_code" value="" />}
        <Button>Sign in</Button>
      </form>
    </AuthCard>
  );
});
