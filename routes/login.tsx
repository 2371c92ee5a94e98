import { page } from "fresh";
import { z } from "zod";
import { AuthCard } from "../components/AuthLayout.tsx";
import { Button, Field, type FieldErrors, Notice } from "../components/Form.tsx";
import { adoptBrowserZone, metaOf, sessionCookies } from "../server/auth_http.ts";
import { BrowserTimeZone } from "../components/BrowserTimeZone.tsx";
import { formErrorsOf, formObject, parseForm, redirect, safeNext } from "../server/pages.ts";
import { toHttpError } from "../server/errors.ts";
import { define } from "../utils.ts";

interface Data {
  email: string;
  next: string;
  errors: FieldErrors;
  /**
   * The code step: the password was right, and this signed, short-lived token says so, so the
   * page never sends the password back to the browser and the code is posted without it.
   */
  challenge?: string;
}

const form = z.object({
  email: z.string().trim().min(1, "Enter your email").email("Enter a valid email address"),
  password: z.string().max(128).optional(),
  mfa_challenge: z.string().max(2048).optional(),
  totp_code: z.string().trim().regex(/^(\d{6})?$/, "The code has 6 digits").optional(),
  backup_code: z.string().trim().max(32).optional(),
  next: z.string().optional(),
}).refine((f) => f.password || f.mfa_challenge, { message: "Enter your password", path: ["password"] });

const challengeOf = (details: unknown): string | undefined => {
  const c = (details as { mfa_challenge?: unknown } | null)?.mfa_challenge;
  return typeof c === "string" ? c : undefined;
};

export const handler = define.handlers({
  GET(ctx) {
    const next = safeNext(ctx.url.searchParams.get("next"));
    if (ctx.state.auth) return ctx.redirect(next, 303);
    return page<Data>({ email: "", next, errors: {} });
  },
  async POST(ctx) {
    const values = await formObject(ctx.req);
    const next = safeNext(values.next);
    const parsed = parseForm(form, values);
    if (!parsed.ok) {
      const challenge = values.mfa_challenge || undefined;
      return page<Data>({ email: values.email ?? "", next, errors: parsed.errors, challenge }, { status: 400 });
    }
    const { email, password, mfa_challenge, totp_code, backup_code } = parsed.data;
    try {
      const tokens = await ctx.state.services.auth.accounts.login({
        email,
        // On the code step the challenge stands for the password.
        ...(mfa_challenge ? { mfa_challenge } : { password }),
        totp_code: totp_code || undefined,
        backup_code: backup_code || undefined,
      }, metaOf(ctx));
      await adoptBrowserZone(ctx, tokens.user.id, values.time_zone);
      return redirect(next, sessionCookies(ctx.url, tokens));
    } catch (e) {
      const errors = formErrorsOf(e);
      const http = toHttpError(e);
      const code = http?.options.code;
      // The code step continues with the challenge just issued, or the one the form carried (until it is
      // refused itself: then back to the password).
      const challenge = code === "mfa_required"
        ? challengeOf(http?.options.details)
        : code !== "mfa_challenge_invalid"
        ? mfa_challenge
        : undefined;
      if (challenge && (code === "mfa_required" || code === "invalid_mfa_code" || code === "invalid_credentials")) {
        // With a challenge the password is known good, so a refusal is about the code (an account under
        // attack answers invalid_credentials for either half: see login_guard.ts).
        errors.totp_code = code === "mfa_required" ? undefined : "The authentication code is wrong or was already used";
        delete errors._form;
      }
      const status = code === "mfa_required" ? 200 : http?.status ?? 400;
      const headers = http?.options.headers;
      return page<Data>({ email, next, errors, challenge }, { status, headers });
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
        <BrowserTimeZone />
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
        {data.challenge
          ? (
            <>
              <input type="hidden" name="mfa_challenge" value={data.challenge} />
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
          : (
            <Field
              name="password"
              label="Password"
              type="password"
              error={errors.password}
              autocomplete="current-password"
              required
            />
          )}
        <Button>Sign in</Button>
      </form>
    </AuthCard>
  );
});
