import { page } from "fresh";
import type { FreshContext } from "fresh";
import { z } from "zod";
import { Card, Notice } from "../../../components/Form.tsx";
import { type BidFilters, type BidRow, PAGE_SIZE, toRow } from "../../../components/bid_format.ts";
import {
  applyRowAction,
  type BuilderAsset,
  formFromBid,
  formFromFields,
  formToInput,
  formZone,
  priceIssues,
} from "../../../components/bid_form.ts";
import BidBuilder, { type BidBuilderProps, type LatestPrice } from "../../../islands/BidBuilder.tsx";
import BidList from "../../../islands/BidList.tsx";
import { listAssets } from "../../../services/assets/store.ts";
import { formObject, redirect, signedIn } from "../../../server/pages.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import { can } from "../../../services/auth/rbac.ts";
import { BID_STATUSES, type Issue } from "../../../services/bids/schema.ts";
import { getBid, listBids } from "../../../services/bids/store.ts";
import { createBid, editDraft } from "../../../services/bids/actions.ts";
import { isIdempotencyKey } from "../../../services/bids/idempotency.ts";
import { allows } from "../../../services/bids/lifecycle.ts";
import { bidFilterQuery } from "../../../services/bids/views.ts";
import { bidDeps, caller } from "../../../server/bids_http.ts";
import { toHttpError } from "../../../server/errors.ts";
import { MARKETS } from "../../../services/market/types.ts";
import { type Iso, ISOS } from "../../../services/market/zones.ts";
import { type PriceUnit, type Units, unitsOf } from "../../../services/market/units.ts";
import { HttpError } from "../../../framework/http_error.ts";
import { DomainError } from "../../../services/errors.ts";
import { define, type State } from "../../../utils.ts";

/** The API's filters, each on its own: a bad value is dropped (the select shows "Any"), not a 400 page. */
function filtersOf(url: URL): BidFilters {
  const out: Record<string, string> = {};
  for (const k of ["kind", "status", "zone", "market", "asset_id"] as const) {
    const r = bidFilterQuery.shape[k].safeParse(url.searchParams.get(k) || undefined);
    if (r.success && r.data) out[k] = r.data;
  }
  return out as BidFilters;
}

/** A cursor as listBids makes them: base64 of [interval_start, id]. Anything else starts at the newest page. */
function isCursor(c: string): boolean {
  if (c.length > 200) return false;
  try {
    const v = JSON.parse(atob(c));
    return Array.isArray(v) && v.length === 2 && z.iso.datetime({ offset: true }).safeParse(v[0]).success &&
      z.uuid().safeParse(v[1]).success;
  } catch {
    return false;
  }
}

const NOTICES: Record<string, string> = {
  deleted: "The draft was deleted.",
};

interface Data {
  canWrite: boolean;
  canForecast: boolean;
  /** The organization has virtual bids (flag `virtual_bids`). */
  canVirtual: boolean;
  assets: BuilderAsset[];
  latest: Record<string, LatestPrice>;
  items: BidRow[];
  nextCursor: string | null;
  cursor: string | null;
  filters: BidFilters;
  notice: string | null;
  /** A bid asked for with ?edit= that is no longer a draft. */
  warning: string | null;
  now: string;
  formKey: string;
  builder?: BidBuilderProps["initial"];
  /** The viewer's /settings for the list: time zone for times with no market, display units. */
  display: { timeZone: string; units: Units };
}

/** The viewer's price unit: the builder's prices are typed in it (and posted in it without JavaScript). */
async function priceUnitOf(ctx: FreshContext<State>, p: Principal): Promise<PriceUnit> {
  return unitsOf(await ctx.state.services.auth.profile.preferences(p.userId)).price;
}

async function load(
  ctx: FreshContext<State>,
  p: Principal,
  builder?: Data["builder"],
  warning: string | null = null,
): Promise<Data> {
  const { services } = ctx.state;
  const db = services.db();
  const filters = filtersOf(ctx.url);
  const rawCursor = ctx.url.searchParams.get("cursor");
  const cursor = rawCursor && isCursor(rawCursor) ? rawCursor : null;
  let shownCursor = cursor;
  const list = (c: string | null) => listBids(db, p.orgId, { ...filters, limit: PAGE_SIZE, cursor: c ?? undefined });
  // One round trip per source, in parallel.
  const [assets, ticks, prefs, bids, canVirtual] = await Promise.all([
    listAssets(db, p.orgId),
    services.market.latest(ISOS),
    services.auth.profile.preferences(p.userId),
    list(cursor).catch((e) => {
      // A cursor that is not one of ours: show the newest page instead of an error page.
      if (!(e instanceof DomainError) || e.kind !== "invalid") throw e;
      shownCursor = null;
      return list(null);
    }),
    services.admin.featureEnabled(p.orgId, "virtual_bids"),
  ]);
  const latest: Record<string, LatestPrice> = {};
  for (const zone of ISOS) {
    const rt = ticks.find((t) => t.zone === zone && t.market === "RT");
    const da = ticks.find((t) => t.zone === zone && t.market === "DA");
    latest[zone] = {
      rt: rt ? { lmp: rt.lmp, interval_start: rt.interval_start } : null,
      da: da ? { lmp: da.lmp, interval_start: da.interval_start } : null,
    };
  }
  return {
    canWrite: can(p.role, "bids:write"),
    canForecast: can(p.role, "forecast:read"),
    canVirtual,
    assets: assets.map((a) => ({
      id: a.id,
      name: a.name,
      site_name: a.site_name,
      kind: a.kind,
      zone: a.zone,
      capacity_mw: a.capacity_mw,
      charge_mw: a.charge_mw,
      discharge_mw: a.discharge_mw,
    })),
    latest,
    items: bids.items.map((b) => toRow(b as BidRow)),
    nextCursor: bids.next_cursor,
    cursor: shownCursor,
    filters,
    notice: NOTICES[ctx.url.searchParams.get("done") ?? ""] ?? null,
    warning,
    now: new Date().toISOString(),
    formKey: crypto.randomUUID(),
    builder,
    display: { timeZone: prefs.time_zone ?? "UTC", units: unitsOf(prefs) },
  };
}

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const edit = ctx.url.searchParams.get("edit");
    if (edit === null || !can(p.role, "bids:write")) return page<Data>(await load(ctx, p));
    // ?edit=<id> opens a draft in the builder. Another organization's bid, or no bid, is a 404 as on its page.
    const id = z.uuid().safeParse(edit);
    if (!id.success) throw new HttpError(404, "No such bid");
    const bid = await getBid(ctx.state.services.db(), p.orgId, id.data);
    if (!allows(bid, "edit", new Date())) {
      return page<Data>(await load(ctx, p, undefined, `That bid is ${bid.status}: only drafts can be edited.`));
    }
    return page<Data>(
      await load(ctx, p, {
        form: formFromBid(
          { ...bid, zone: bid.zone as Iso },
          await priceUnitOf(ctx, p),
        ),
        issues: [],
        attempted: false,
        editing: { id: bid.id, version: bid.version, fresh: true },
      }),
    );
  },
  /**
   * The builder without JavaScript: its row buttons and Save/Submit post the form here. The same checks
   * as POST /api/bids (and /submit), and the form's key makes a repeated post create the bid once.
   */
  async POST(ctx) {
    const p = signedIn(ctx);
    const { services } = ctx.state;
    const values = await formObject(ctx.req);
    const form = formFromFields(values);
    // "default" is the hidden first button that Enter in a field presses: it saves a draft.
    const action = !values.action || values.action === "default" ? "save" : values.action;
    // The draft this form edits (hidden fields the builder renders while it holds one); else a new bid.
    const editId = z.uuid().safeParse(values.edit_id);
    const editVersion = Number(values.edit_version);
    const editing = editId.success && Number.isInteger(editVersion) && editVersion > 0
      ? { id: editId.data, version: editVersion }
      : undefined;
    const again = (issues: Issue[], status = 200) =>
      load(ctx, p, { form, issues, attempted: issues.length > 0, editing }).then((d) => page<Data>(d, { status }));

    const assets = await listAssets(services.db(), p.orgId);
    const asset = form.kind === "physical" ? assets.find((a) => a.id === form.assetId) : undefined;
    const rows = applyRowAction(form, action, formZone(form, asset));
    if (rows) {
      return await load(ctx, p, { form: rows, issues: [], attempted: false, editing }).then((d) => page<Data>(d));
    }
    if (action !== "save" && action !== "submit") {
      return await again([{ path: "_form", message: `Unknown action "${action}"`, code: "bad_request" }], 400);
    }
    if (!asset && form.kind === "physical") {
      return await again(
        [{ path: "asset_id", message: "asset_id: choose one of your assets", code: "not_found" }],
        400,
      );
    }
    const unit = await priceUnitOf(ctx, p);
    // A price that is no price in the viewer's unit ("4.1255" ¢/kWh) is refused plainly before the rules run.
    const unparsed = priceIssues(form.rows, unit);
    if (unparsed.length) return await again(unparsed, 400);
    const input = formToInput(form, asset, unit);
    const key = isIdempotencyKey(values.idempotency_key ?? "") ? values.idempotency_key : null;
    // The form's key makes a repeated post (reload, double click) save once: the same bid comes back.
    const idempotency = key ? { key, method: "POST", path: "/bidding", body: { input, action, editing } } : null;
    const opts = { submit: action === "submit", idempotency };
    let bid: { id: string };
    try {
      // An edit carries the version the form was loaded with: a draft changed since is a 409, as in the API.
      const out = editing
        ? await editDraft(bidDeps(ctx), caller(ctx, p), editing.id, { version: editing.version, bid: input }, opts)
        : await createBid(bidDeps(ctx), caller(ctx, p), input, opts);
      bid = out.value;
    } catch (e) {
      const http = toHttpError(e);
      if (!http || http.status >= 500) throw e;
      const details = Array.isArray(http.options.details) ? http.options.details as Issue[] : [];
      const issues = details.length
        ? details.map((d) => ({ path: String(d.path), message: String(d.message), code: String(d.code ?? "") }))
        : [{ path: "_form", message: http.message, code: http.options.code ?? "" }];
      return await again(issues, http.status);
    }
    return redirect(`/bidding/${bid.id}?done=${action === "submit" ? "submitted" : "saved"}`);
  },
});

export default define.page<typeof handler>(function Bidding({ data }) {
  const zones = [...new Set(data.assets.map((a) => a.zone))] as Iso[];
  return (
    <div class="space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Bidding</h1>
        <p class="mt-1 text-sm text-slate-600">
          Build offer and bid curves for your assets and send them to the market. Delivery times are on each zone's
          market clock, hour ending (HE1–HE24).{" "}
          <a class="font-semibold text-brand-700 underline" href="/bidding/day" data-testid="bid-a-day">
            Bid a whole day-ahead day
          </a>
        </p>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      {data.warning && <Notice kind="error">{data.warning}</Notice>}
      {data.canWrite
        ? (
          <Card title={data.builder?.editing ? "Edit draft" : "New bid"} id="builder">
            <BidBuilder
              assets={data.assets}
              latest={data.latest}
              now={data.now}
              formKey={data.formKey}
              initial={data.builder}
              canForecast={data.canForecast}
              canVirtual={data.canVirtual}
              priceUnit={data.display.units.price}
            />
          </Card>
        )
        : (
          <p class="rounded-md bg-slate-100 px-4 py-3 text-sm text-slate-700" data-testid="read-only">
            Your role can see bids but not create or change them.
          </p>
        )}
      <Card title="Bids" id="bids">
        <BidList
          items={data.items}
          nextCursor={data.nextCursor}
          cursor={data.cursor}
          filters={data.filters}
          assets={data.assets.map((a) => ({ id: a.id, name: a.name }))}
          zones={zones}
          options={{ statuses: BID_STATUSES, zones: ISOS, markets: MARKETS }}
          display={data.display}
        />
      </Card>
    </div>
  );
});
