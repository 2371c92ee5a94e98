import { page } from "fresh";
import type { FreshContext } from "fresh";
import { z } from "zod";
import { Button, Card, type FieldErrors, Notice } from "../../../components/Form.tsx";
import { modelCaller, modelDeps } from "../../../server/models_http.ts";
import { formErrorsOf, formObject, parseForm, redirect, signedIn } from "../../../server/pages.ts";
import { toHttpError } from "../../../server/errors.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import { can } from "../../../services/auth/rbac.ts";
import {
  listModels,
  mayPromote,
  OPERATOR_ONLY_MESSAGE,
  promoteModel,
  rollbackModel,
} from "../../../services/models/actions.ts";
import { modelName, type ModelView } from "../../../services/models/schema.ts";
import { formatUserTime } from "../../../services/market/market_time.ts";
import { define, type State } from "../../../utils.ts";

interface Data {
  models: ModelView[];
  nextCursor: string | null;
  /** Promote and rollback buttons: `models:promote` and the platform operator. */
  canPromote: boolean;
  /** An organization admin who is not the operator: told why there are no buttons. */
  adminNotOperator: boolean;
  errors: FieldErrors;
  notice?: string;
  /** The viewer's time zone (/settings), for when each version was made. */
  timeZone: string;
}

const PAGE_SIZE = 50;

async function load(ctx: FreshContext<State>, p: Principal, extra: Partial<Data> = {}): Promise<Data> {
  const cursor = ctx.url.searchParams.get("cursor") ?? undefined;
  let models: ModelView[] = [];
  let nextCursor: string | null = null;
  const errors: FieldErrors = {};
  try {
    const page = await listModels(ctx.state.services.db(), { limit: PAGE_SIZE, cursor });
    models = page.items;
    nextCursor = page.next_cursor;
  } catch (e) {
    Object.assign(errors, formErrorsOf(e));
  }
  const caller = modelCaller(ctx, p);
  const prefs = await ctx.state.services.auth.profile.preferences(p.userId);
  return {
    timeZone: prefs.time_zone ?? "UTC",
    models,
    nextCursor,
    canPromote: mayPromote(caller),
    adminNotOperator: can(p.role, "models:promote") && !caller.operator,
    errors,
    ...extra,
  };
}

const forms = {
  promote: z.object({ id: z.uuid("not a model version") }),
  rollback: z.object({ name: modelName }),
};

/**
 * After a promote or rollback the page redirects (a reload must not promote again) and says what happened
 * from these checked parameters: a model name and versions, never free text.
 */
const outcome = z.object({
  done: z.enum(["promote", "rollback", "unchanged"]),
  model: modelName,
  v: z.coerce.number().int().positive(),
  prev: z.coerce.number().int().positive().optional(),
});

function outcomeNotice(params: URLSearchParams): string | undefined {
  const o = outcome.safeParse(Object.fromEntries(params));
  if (!o.success) return undefined;
  const { done, model, v, prev } = o.data;
  const what = `${model} v${v}`;
  const archived = prev ? ` (v${prev} archived)` : "";
  return done === "unchanged"
    ? `${what} already is the production version.`
    : done === "promote"
    ? `${what} is now in production${archived}.`
    : `Rolled back: ${what} is in production again${archived}.`;
}

export const handler = define.handlers({
  async GET(ctx) {
    return page<Data>(await load(ctx, signedIn(ctx), { notice: outcomeNotice(ctx.url.searchParams) }));
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const values = await formObject(ctx.req);
    const action = values._action as keyof typeof forms;
    const fail = async (errors: FieldErrors, status = 400) => page<Data>(await load(ctx, p, { errors }), { status });
    const schema = forms[action];
    if (!schema) return await fail({ _form: "Unknown action" });
    const parsed = parseForm(schema as z.ZodType, values);
    if (!parsed.ok) return await fail(parsed.errors);
    const d = parsed.data as Record<string, string>;
    try {
      const out = action === "promote"
        ? await promoteModel(modelDeps(ctx), modelCaller(ctx, p), d.id)
        : await rollbackModel(modelDeps(ctx), modelCaller(ctx, p), d.name);
      const q = new URLSearchParams({
        done: out.changed ? action : "unchanged",
        model: out.model.name,
        v: String(out.model.version),
      });
      if (out.previous) q.set("prev", String(out.previous.version));
      return redirect(`${ctx.url.pathname}?${q}`);
    } catch (e) {
      return await fail(formErrorsOf(e), toHttpError(e)?.status ?? 400);
    }
  },
});

const STAGE_STYLE: Record<string, string> = {
  production: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  staging: "bg-amber-50 text-amber-800 ring-amber-200",
  archived: "bg-slate-100 text-slate-600 ring-slate-200",
};

/** A metric by any of its usual spellings (`rMAE`, `rmae`, `r_mae`). */
function metric(m: Record<string, unknown>, ...names: string[]): number | null {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
  const wanted = new Set(names.map(norm));
  for (const [k, v] of Object.entries(m)) if (wanted.has(norm(k)) && typeof v === "number") return v;
  return null;
}

const fmt = (v: number | null, digits: number, unit = "") => v === null ? "—" : `${v.toFixed(digits)}${unit}`;

/** A line of `key=value` for the first few scalar settings; the full object is in the title. */
function summary(o: Record<string, unknown>, max = 4): string {
  const parts = Object.entries(o).slice(0, max).map(([k, v]) =>
    `${k}=${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`
  );
  const more = Object.keys(o).length - max;
  return parts.length ? parts.join(", ") + (more > 0 ? `, +${more}` : "") : "—";
}

function ModelRow({ m, canPromote, timeZone }: { m: ModelView; canPromote: boolean; timeZone: string }) {
  const coverage = metric(m.metrics, "coverage", "coverage_80", "coverage80", "interval_coverage");
  return (
    <li
      data-model={`${m.name}@${m.version}`}
      class="grid gap-3 px-5 py-4 lg:grid-cols-[12rem_1fr_16rem_9rem] lg:items-start"
    >
      <div class="min-w-0">
        <p class="font-medium">
          {m.name} <span class="text-slate-500">v{m.version}</span>
        </p>
        <span
          data-stage={m.stage}
          class={`mt-1 inline-block rounded px-2 py-0.5 text-xs font-medium ring-1 ${STAGE_STYLE[m.stage] ?? ""}`}
        >
          {m.stage}
        </span>
      </div>
      <div class="min-w-0 space-y-1 text-sm">
        <p class="break-words" title={JSON.stringify(m.params)}>
          <span class="text-slate-500">Params</span> {summary(m.params)}
        </p>
        <p class="break-words" title={JSON.stringify(m.training_window)}>
          <span class="text-slate-500">Training window</span> {summary(m.training_window)}
        </p>
        <p class="text-xs text-slate-500">
          Created {formatUserTime(timeZone, m.created_at)}
          {m.created_by_name ? ` by ${m.created_by_name}` : " by a script"}
        </p>
      </div>
      <dl class="grid grid-cols-4 gap-2 text-sm lg:grid-cols-2" data-metrics>
        {([
          ["MAE", fmt(metric(m.metrics, "mae"), 3)],
          ["rMAE", fmt(metric(m.metrics, "rmae"), 3)],
          ["sMAPE", fmt(metric(m.metrics, "smape"), 2, "%")],
          ["Coverage", fmt(coverage === null ? null : coverage * 100, 1, "%")],
        ] as const).map(([label, value]) => (
          <div key={label} class="min-w-0">
            <dt class="text-xs text-slate-500">{label}</dt>
            <dd class="font-mono tabular-nums">{value}</dd>
          </div>
        ))}
      </dl>
      <div class="flex lg:justify-end">
        {canPromote && m.stage !== "production" && (
          <form method="post">
            <input type="hidden" name="_action" value="promote" />
            <input type="hidden" name="id" value={m.id} />
            <Button variant="secondary">Promote</Button>
          </form>
        )}
      </div>
    </li>
  );
}

export default define.page<typeof handler>(function Models({ data }) {
  const byName = new Map<string, ModelView[]>();
  for (const m of data.models) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
  return (
    <div class="space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Forecast models</h1>
        <p class="mt-1 text-sm text-slate-600">
          Versions of the price forecast models with their backtest metrics. The live forecast uses each model's
          production version, for every organization.
        </p>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      {data.errors._form && <Notice kind="error">{data.errors._form}</Notice>}
      {Object.entries(data.errors).filter(([k]) => k !== "_form").map(([k, v]) => (
        <Notice key={k} kind="error">{k}: {v}</Notice>
      ))}
      {data.adminNotOperator && <Notice kind="info">{OPERATOR_ONLY_MESSAGE}.</Notice>}
      {data.models.length === 0 && (
        <Notice kind="info">
          No model version yet. <code>deno task backtest --register</code> registers one with its metrics.
        </Notice>
      )}
      {[...byName].map(([name, versions]) => (
        <Card key={name} title={name} description={`${versions.length} version${versions.length === 1 ? "" : "s"}`}>
          <ul class="-mx-5 divide-y divide-slate-100 border-t border-slate-200">
            {versions.map((m) => <ModelRow key={m.id} m={m} canPromote={data.canPromote} timeZone={data.timeZone} />)}
          </ul>
          {data.canPromote && versions.some((m) =>
            m.stage === "archived"
          ) && (
            <form method="post" class="mt-4 flex flex-wrap items-center gap-3">
              <input type="hidden" name="_action" value="rollback" />
              <input type="hidden" name="name" value={name} />
              <Button variant="danger">Roll back {name}</Button>
              <span class="text-xs text-slate-500">The previous production version becomes production again.</span>
            </form>
          )}
        </Card>
      ))}
      {data.nextCursor && (
        <a href={`/models?cursor=${encodeURIComponent(data.nextCursor)}`} class="text-sm font-medium text-brand-700">
          More versions →
        </a>
      )}
    </div>
  );
});
