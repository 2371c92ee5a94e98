import { page } from "fresh";
import type { FreshContext } from "fresh";
import { z } from "zod";
import { Button, type FieldErrors, Notice } from "../../../components/Form.tsx";
import { HttpError } from "../../../framework/http_error.ts";
import { caller } from "../../../server/bids_http.ts";
import { doneNotice, doneRedirect, formErrorsOf, formObject, parseForm, signedIn } from "../../../server/pages.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import { can } from "../../../services/auth/rbac.ts";
import { reviewDifference, reviewInput } from "../../../services/settlement/actions.ts";
import {
  type ComparisonTotal,
  comparisonTotals,
  type Difference,
  getStatement,
  listDifferences,
  type StatementView,
} from "../../../services/settlement/store.ts";
import { differenceFilterQuery } from "../../../services/settlement/views.ts";
import { define, type State } from "../../../utils.ts";

type Filter = z.infer<typeof differenceFilterQuery>;

interface Data {
  statement: StatementView;
  totals: ComparisonTotal[];
  differences: Difference[];
  nextCursor: string | null;
  filter: Filter;
  canReview: boolean;
  errors: FieldErrors;
  notice?: string;
}

const NOTICES = { disputed: "Marked disputed.", explained: "Marked explained." };

/** The filters from the query string; a value that is not one of the choices is ignored, not an error. */
function filterOf(params: URLSearchParams): Filter {
  const out: Record<string, string> = {};
  for (const k of Object.keys(differenceFilterQuery.shape) as (keyof Filter)[]) {
    const v = params.get(k);
    if (v && differenceFilterQuery.shape[k].safeParse(v).success) out[k] = v;
  }
  return out as Filter;
}

async function load(ctx: FreshContext<State>, p: Principal, extra: Partial<Data> = {}): Promise<Data> {
  const id = z.uuid().safeParse(ctx.params.id);
  if (!id.success) throw new HttpError(404, "No such statement");
  const db = ctx.state.services.db();
  const statement = await getStatement(db, p.orgId, id.data);
  const filter = filterOf(ctx.url.searchParams);
  const cursor = ctx.url.searchParams.get("cursor") ?? undefined;
  const errors: FieldErrors = {};
  let differences: Difference[] = [], nextCursor: string | null = null;
  try {
    const page = await listDifferences(db, p.orgId, statement.id, {
      ...filter,
      status: filter.status ?? "differences",
      limit: 100,
      cursor,
    });
    differences = page.items;
    nextCursor = page.next_cursor;
  } catch (e) {
    Object.assign(errors, formErrorsOf(e));
  }
  return {
    statement,
    totals: await comparisonTotals(db, p.orgId, statement.id, { ...filter, status: undefined }),
    differences,
    nextCursor,
    filter,
    canReview: can(p.role, "bids:write"),
    errors,
    ...doneNotice(ctx, NOTICES),
    ...extra,
  };
}

export const handler = define.handlers({
  async GET(ctx) {
    return page<Data>(await load(ctx, signedIn(ctx)));
  },
  /** A review: dispute or explain one difference, with a comment. */
  async POST(ctx) {
    const p = signedIn(ctx);
    const values = await formObject(ctx.req);
    const parsed = parseForm(reviewInput, values);
    const fail = async (errors: FieldErrors, status = 400) => page<Data>(await load(ctx, p, { errors }), { status });
    if (!parsed.ok) return await fail({ _form: Object.values(parsed.errors).filter(Boolean).join("; ") });
    try {
      await reviewDifference(ctx.state.services.db(), caller(ctx, p), String(ctx.params.id), parsed.data);
      return doneRedirect(ctx, parsed.data.status);
    } catch (e) {
      const errors = formErrorsOf(e);
      return await fail({ _form: Object.values(errors).filter(Boolean).join("; ") });
    }
  },
});

const usd = (v: number | null) =>
  v === null
    ? "—"
    : `${v < 0 ? "−" : ""}$${
      Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })
    }`;

const STATUS_LABEL: Record<string, string> = {
  matched: "Matched",
  amount_differs: "Amount differs",
  only_iso: "Only in the ISO's",
  only_ours: "Only in ours",
};
const STATUS_STYLE: Record<string, string> = {
  matched: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  amount_differs: "bg-amber-50 text-amber-800 ring-amber-200",
  only_iso: "bg-rose-50 text-rose-800 ring-rose-200",
  only_ours: "bg-sky-50 text-sky-800 ring-sky-200",
};

const select = "rounded-md border border-slate-300 px-2 py-1.5 text-sm";

export default define.page<typeof handler>(({ data }) => {
  const { statement: s, filter } = data;
  const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v) as [string, string][]);
  return (
    <div class="mx-auto max-w-6xl space-y-6">
      <nav class="text-sm">
        <a href="/settlements" class="font-medium text-brand-600 hover:underline">← Statements</a>
      </nav>
      <header class="flex flex-wrap items-end justify-between gap-3">
        <div class="min-w-0">
          <h1 class="text-2xl font-bold tracking-tight">{s.zone} statement</h1>
          <p class="mt-1 text-sm text-slate-600">
            {s.period_from.slice(0, 16).replace("T", " ")} → {s.period_to.slice(0, 16).replace("T", " ")} UTC ·{" "}
            {s.format} · {s.lines.toLocaleString("en-US")} lines{s.filename ? ` · ${s.filename}` : ""}
          </p>
        </div>
        <a
          href={`/api/settlements/statements/${s.id}/differences.csv?${query}`}
          class="rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-700 shadow-sm ring-1 ring-slate-300 hover:bg-slate-50"
          data-testid="export"
        >
          Export CSV
        </a>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      {data.errors._form && <Notice kind="error">{data.errors._form}</Notice>}

      <section class="grid grid-cols-2 gap-3 lg:grid-cols-4" data-testid="totals">
        {data.totals.map((t) => (
          <a
            key={t.status}
            href={`?${new URLSearchParams({ ...Object.fromEntries(query), status: t.status })}`}
            data-status={t.status}
            class={`rounded-xl p-4 ring-1 ${STATUS_STYLE[t.status]} ${
              (filter.status ?? "differences") === t.status ? "ring-2" : ""
            }`}
          >
            <p class="text-xs font-medium uppercase tracking-wide">{STATUS_LABEL[t.status]}</p>
            <p class="mt-1 text-2xl font-bold tabular-nums" data-count>{t.count.toLocaleString("en-US")}</p>
            <p class="text-xs tabular-nums">ISO − ours: {usd(t.difference)}</p>
          </a>
        ))}
      </section>

      <form method="get" class="flex flex-wrap items-end gap-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
        <label class="text-sm">
          <span class="block text-xs text-slate-500">Status</span>
          <select name="status" class={select}>
            {[["differences", "All differences"], ...Object.entries(STATUS_LABEL)].map(([v, l]) => (
              <option key={v} value={v} selected={(filter.status ?? "differences") === v}>{l}</option>
            ))}
          </select>
        </label>
        <label class="text-sm">
          <span class="block text-xs text-slate-500">Market</span>
          <select name="market" class={select}>
            <option value="">Both</option>
            {["DA", "RT"].map((m) => <option key={m} value={m} selected={filter.market === m}>{m}</option>)}
          </select>
        </label>
        <label class="text-sm">
          <span class="block text-xs text-slate-500">Location</span>
          <input name="location" value={filter.location ?? ""} maxLength={64} class={`${select} w-40`} />
        </label>
        <label class="text-sm">
          <span class="block text-xs text-slate-500">Review</span>
          <select name="review" class={select}>
            <option value="">Any</option>
            {[["none", "Not reviewed"], ["disputed", "Disputed"], ["explained", "Explained"]].map(([v, l]) => (
              <option key={v} value={v} selected={filter.review === v}>{l}</option>
            ))}
          </select>
        </label>
        <Button variant="secondary">Filter</Button>
      </form>

      <section class="overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
        {data.differences.length === 0
          ? <p class="p-5 text-sm text-slate-600">Nothing to show with these filters.</p>
          : (
            <table class="min-w-full text-sm tabular-nums" data-testid="differences">
              <thead class="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th class="px-4 py-2 font-medium">Hour (UTC)</th>
                  <th class="px-3 py-2 font-medium">Location</th>
                  <th class="px-3 py-2 font-medium">Status</th>
                  <th class="px-3 py-2 text-right font-medium">ISO</th>
                  <th class="px-3 py-2 text-right font-medium">Ours</th>
                  <th class="px-3 py-2 text-right font-medium">Difference</th>
                  <th class="px-4 py-2 font-medium">Review</th>
                </tr>
              </thead>
              <tbody class="divide-y divide-slate-100">
                {data.differences.map((d) => (
                  <tr key={`${d.hour}|${d.location}|${d.market}`} data-location={d.location} data-market={d.market}>
                    <td class="whitespace-nowrap px-4 py-2">
                      {d.hour.slice(0, 13).replace("T", " ")}h
                      {d.first_line !== null && <span class="block text-xs text-slate-500">line {d.first_line}</span>}
                    </td>
                    <td class="whitespace-nowrap px-3 py-2">{d.location} · {d.market}</td>
                    <td class="px-3 py-2">
                      <span class={`whitespace-nowrap rounded px-2 py-0.5 text-xs ring-1 ${STATUS_STYLE[d.status]}`}>
                        {STATUS_LABEL[d.status]}
                      </span>
                    </td>
                    <td class="px-3 py-2 text-right">{usd(d.iso_amount)}</td>
                    <td class="px-3 py-2 text-right">{usd(d.our_amount)}</td>
                    <td class="px-3 py-2 text-right font-medium">{usd(d.difference)}</td>
                    <td class="min-w-[14rem] px-4 py-2">
                      {d.review && (
                        <p class="text-xs" data-review={d.review.status}>
                          <b>{d.review.status}</b>: {d.review.comment}
                          <span class="block text-slate-500">{d.review.by ?? "—"}, {d.review.at.slice(0, 16)}</span>
                        </p>
                      )}
                      {data.canReview && d.status !== "matched" && (
                        <details class="mt-1">
                          <summary class="cursor-pointer text-xs font-medium text-brand-700">
                            {d.review ? "Change" : "Dispute or explain"}
                          </summary>
                          <form method="post" class="mt-2 space-y-2">
                            <input type="hidden" name="hour" value={d.hour} />
                            <input type="hidden" name="location" value={d.location} />
                            <input type="hidden" name="market" value={d.market} />
                            <textarea
                              name="comment"
                              required
                              maxLength={2000}
                              rows={2}
                              aria-label="Comment"
                              placeholder="Comment (required)"
                              class="block w-full rounded-md border border-slate-300 px-2 py-1 text-sm"
                            />
                            <div class="flex gap-2">
                              <Button name="status" value="disputed" variant="danger">Dispute</Button>
                              <Button name="status" value="explained" variant="secondary">Explain</Button>
                            </div>
                          </form>
                        </details>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </section>
      {data.nextCursor && (
        <a
          class="inline-block text-sm text-brand-700 hover:underline"
          href={`?${new URLSearchParams({ ...Object.fromEntries(query), cursor: data.nextCursor })}`}
        >
          Next page →
        </a>
      )}
    </div>
  );
});
