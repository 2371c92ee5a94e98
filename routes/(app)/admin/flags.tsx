import { page } from "fresh";
import type { FreshContext } from "fresh";
import { z } from "zod";
import { AdminNav } from "../../../components/AdminNav.tsx";
import { Button, Card, Field, type FieldErrors, Notice, Select } from "../../../components/Form.tsx";
import { adminDeps, isPlatformAdmin, operatorCaller, platformAdminViewer } from "../../../server/admin_http.ts";
import { toHttpError } from "../../../server/errors.ts";
import { HttpError } from "../../../framework/http_error.ts";
import { doneNotice, doneRedirect, formErrorsOf, formObject, parseForm, signedIn } from "../../../server/pages.ts";
import { flagKey, setFlag } from "../../../services/admin/actions.ts";
import { evaluateFlag, type Flag } from "../../../services/admin/flags.ts";
import { define, type State } from "../../../utils.ts";

interface FlagRow {
  key: string;
  description: string;
  enabled: boolean;
  source: string;
  default: boolean;
  rollout_percent: number | null;
  overrides: number;
}

interface Data {
  flags: FlagRow[];
  form?: string;
  errors: FieldErrors;
  notice?: string;
}

async function load(ctx: FreshContext<State>, extra: Partial<Data> = {}): Promise<Data> {
  const p = signedIn(ctx);
  const flags: Flag[] = await ctx.state.services.admin.allFlags();
  return {
    flags: flags.map((f) => ({
      key: f.key,
      description: f.description,
      ...evaluateFlag(f, p.orgId),
      default: f.enabled,
      rollout_percent: f.rollout_percent,
      overrides: f.overrides.size,
    })),
    errors: {},
    ...extra,
  };
}

const formSchema = z.object({
  key: flagKey,
  enabled: z.enum(["on", "off"]),
  rollout_percent: z.literal("").transform(() => null).or(z.coerce.number().int().min(0).max(100)),
});

export const handler = define.handlers({
  async GET(ctx) {
    return page<Data>(
      await load(ctx, doneNotice(ctx, { saved: "Flag saved: every instance applies it within a second." })),
    );
  },
  async POST(ctx) {
    // Changing a flag is the platform admin's; for anyone else this form does not exist.
    if (!isPlatformAdmin(ctx)) throw new HttpError(404);
    const values = await formObject(ctx.req);
    const parsed = parseForm(formSchema, values, { rollout_percent: "Rollout %" });
    const fail = async (errors: FieldErrors, status = 400) =>
      page<Data>(await load(ctx, { form: values.key, errors }), { status });
    if (!parsed.ok) return await fail(parsed.errors);
    try {
      await setFlag(adminDeps(ctx), operatorCaller(ctx), parsed.data.key, {
        enabled: parsed.data.enabled === "on",
        rollout_percent: parsed.data.rollout_percent,
      });
    } catch (e) {
      return await fail(formErrorsOf(e), toHttpError(e)?.status ?? 400);
    }
    return doneRedirect(ctx, "saved");
  },
});

const SOURCES: Record<string, string> = {
  override: "set for your organization",
  rollout: "percentage rollout",
  default: "default",
};

export default define.page<typeof handler>(function AdminFlags({ data, state }) {
  const operator = platformAdminViewer(state);
  return (
    <div class="space-y-6">
      <AdminNav current="/admin/flags" operator={operator} />
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Features</h1>
        <p class="mt-1 text-sm text-slate-600">
          Which features your organization has. A feature that is off does not exist for it: its pages and API answer
          404.{operator && " As a platform admin you set each flag's default and percentage rollout here, and " +
              "per-organization overrides on an organization's page."}
        </p>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      <div class="grid gap-4 lg:grid-cols-2">
        {data.flags.map((f) => (
          <Card key={f.key} title={f.key} description={f.description}>
            <p class="text-sm" data-flag={f.key} data-enabled={String(f.enabled)}>
              For your organization:{" "}
              <strong class={f.enabled ? "text-emerald-700" : "text-slate-700"}>{f.enabled ? "on" : "off"}</strong>
              <span class="text-slate-500">{` (${SOURCES[f.source] ?? f.source})`}</span>
            </p>
            {operator && (
              <form method="post" class="mt-3 grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end">
                {data.form === f.key && data.errors._form && <Notice kind="error">{data.errors._form}</Notice>}
                <input type="hidden" name="key" value={f.key} />
                <Select
                  name="enabled"
                  label="Default"
                  options={[{ value: "on", label: "On" }, { value: "off", label: "Off" }]}
                  value={f.default ? "on" : "off"}
                  compact
                />
                <Field
                  name="rollout_percent"
                  label="Rollout %"
                  inputmode="numeric"
                  value={f.rollout_percent === null ? "" : String(f.rollout_percent)}
                  error={data.form === f.key ? data.errors.rollout_percent : undefined}
                  hint={`Empty: the default for all. ${f.overrides} override(s).`}
                />
                <Button variant="secondary">Save</Button>
              </form>
            )}
          </Card>
        ))}
      </div>
    </div>
  );
});
