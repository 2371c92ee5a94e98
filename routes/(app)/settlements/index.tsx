import { page } from "fresh";
import type { FreshContext } from "fresh";
import { Button, Card, Field, type FieldErrors, Notice, Select } from "../../../components/Form.tsx";
import { caller } from "../../../server/bids_http.ts";
import { readFormData } from "../../../framework/api.ts";
import { formErrorsOf, parseForm, redirect, signedIn } from "../../../server/pages.ts";
import { toHttpError } from "../../../server/errors.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import { can } from "../../../services/auth/rbac.ts";
import { ISOS } from "../../../services/market/zones.ts";
import { importQuery, importStatement } from "../../../services/settlement/actions.ts";
import { GENERIC_COLUMNS, PJM_COLUMNS } from "../../../services/settlement/formats.ts";
import { importForm, importInputOf } from "../../../services/settlement/page_input.ts";
import { listStatements, type StatementView } from "../../../services/settlement/store.ts";
import { define, type State } from "../../../utils.ts";

interface Data {
  statements: StatementView[];
  nextCursor: string | null;
  canImport: boolean;
  errors: FieldErrors;
  /** A refused file's bad rows, each with its line number. */
  rows: { line: number; message: string }[];
  values: Record<string, string>;
}

async function load(ctx: FreshContext<State>, p: Principal, extra: Partial<Data> = {}): Promise<Data> {
  const cursor = ctx.url.searchParams.get("cursor") ?? undefined;
  let statements: StatementView[] = [], nextCursor: string | null = null;
  const errors: FieldErrors = {};
  try {
    const page = await listStatements(ctx.state.services.db(), p.orgId, { limit: 50, cursor });
    statements = page.items;
    nextCursor = page.next_cursor;
  } catch (e) {
    Object.assign(errors, formErrorsOf(e));
  }
  return {
    statements,
    nextCursor,
    canImport: can(p.role, "bids:write"),
    errors,
    rows: [],
    values: { zone: "PJM", format: "pjm" },
    ...extra,
  };
}

export const handler = define.handlers({
  async GET(ctx) {
    return page<Data>(await load(ctx, signedIn(ctx)));
  },
  /** The import form: multipart, the file streamed into the same action as POST /api/settlements/statements. */
  async POST(ctx) {
    const p = signedIn(ctx);
    const form = await readFormData(ctx.req);
    const values: Record<string, string> = {};
    for (const [k, v] of form) if (typeof v === "string") values[k] = v;
    const fail = async (errors: FieldErrors, rows: Data["rows"] = [], status = 400) =>
      page<Data>(await load(ctx, p, { errors, rows, values }), { status });
    const parsed = parseForm(importForm, values);
    if (!parsed.ok) return await fail(parsed.errors);
    const file = form.get("file");
    if (!(file instanceof File) || file.size === 0) return await fail({ file: "Choose the statement's CSV file" });
    const input = importQuery.safeParse(importInputOf(parsed.data, file.name));
    if (!input.success) return await fail({ last_day: input.error.issues[0]?.message ?? "invalid period" });
    try {
      const out = await importStatement(ctx.state.services.db(), caller(ctx, p), input.data, file.stream());
      return redirect(`/settlements/${out.statement.id}`);
    } catch (e) {
      const http = toHttpError(e);
      const details = http?.options.details;
      if (http && http.status < 500 && Array.isArray(details) && details.every((d) => typeof d?.line === "number")) {
        return await fail({ _form: "The file has invalid rows; nothing was imported." }, details, http.status);
      }
      return await fail(formErrorsOf(e), [], http?.status ?? 400);
    }
  },
});

const usd = (v: number) => `${v < 0 ? "−" : ""}$${Math.abs(v).toLocaleString("en-US", { maximumFractionDigits: 2 })}`;

export default define.page<typeof handler>(({ data }) => {
  const { errors, values } = data;
  return (
    <div class="mx-auto max-w-5xl space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Shadow settlement</h1>
        <p class="mt-1 text-sm text-slate-600">
          Import the ISO's settlement statement and compare it, hour by hour and location by location, with what OptiBid
          settled for your bids. Amounts within {usd(0.01)} match.
        </p>
      </header>
      {data.canImport && (
        <Card title="Import a statement" id="import">
          <form method="post" enctype="multipart/form-data" class="space-y-4" data-testid="import-form">
            {errors._form && <Notice kind="error">{errors._form}</Notice>}
            {data.rows.length > 0 && (
              <ul
                class="max-h-48 overflow-y-auto rounded-md bg-red-50 px-4 py-2 text-sm text-red-800"
                data-testid="bad-rows"
              >
                {data.rows.map((r) => <li key={r.line}>Line {r.line}: {r.message}</li>)}
              </ul>
            )}
            <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
              <Select name="zone" label="Zone" options={ISOS} value={values.zone} error={errors.zone} />
              <Select
                name="format"
                label="Format"
                options={[{ value: "pjm", label: "PJM hourly energy" }, { value: "generic", label: "Generic" }]}
                value={values.format}
                error={errors.format}
              />
              <Field
                name="first_day"
                type="date"
                required
                label="First operating day"
                value={values.first_day}
                error={errors.first_day}
              />
              <Field
                name="last_day"
                type="date"
                required
                label="Last operating day"
                value={values.last_day}
                error={errors.last_day}
              />
            </div>
            <div class="space-y-1">
              <label for="f-file" class="block text-sm font-medium text-slate-700">CSV file (up to 50 MB)</label>
              <input id="f-file" name="file" type="file" accept=".csv,text/csv" required class="block w-full text-sm" />
              {errors.file && <p class="text-sm text-red-600" data-field-error="file">{errors.file}</p>}
            </div>
            <details class="text-xs text-slate-600">
              <summary class="cursor-pointer font-medium">Formats</summary>
              <p class="mt-2 break-words">
                <b>PJM</b>: {PJM_COLUMNS.join(", ")}{" "}
                — one row per hour and pricing node, PJM's sign (a charge is positive), times as PJM Data Miner writes
                them (M/D/YYYY h:mm:ss AM, UTC column).
              </p>
              <p class="mt-1 break-words">
                <b>Generic</b>: {GENERIC_COLUMNS.join(", ")}{" "}
                — ISO-8601 instants, market DA or RT, amount + when paid to you.
              </p>
            </details>
            <Button>Import and compare</Button>
          </form>
        </Card>
      )}
      <Card title="Statements">
        {data.statements.length === 0
          ? <p class="text-sm text-slate-600">No statement imported yet.</p>
          : (
            <ul class="-mx-5 divide-y divide-slate-100" data-testid="statements">
              {data.statements.map((s) => (
                <li key={s.id} class="flex flex-wrap items-center justify-between gap-2 px-5 py-3 text-sm">
                  <a href={`/settlements/${s.id}`} class="font-medium text-brand-700 hover:underline">
                    {s.zone} · {s.period_from.slice(0, 10)} → {s.period_to.slice(0, 10)}
                  </a>
                  <span class="text-slate-500">
                    {s.format} · {s.lines.toLocaleString("en-US")} lines{s.filename ? ` · ${s.filename}` : ""}
                  </span>
                </li>
              ))}
            </ul>
          )}
        {data.nextCursor && (
          <a class="mt-3 inline-block text-sm text-brand-700 hover:underline" href={`?cursor=${data.nextCursor}`}>
            Older statements →
          </a>
        )}
      </Card>
    </div>
  );
});
