import { CSV_MEDIA, principal } from "../../../../server/auth_http.ts";
import { caller } from "../../../../server/bids_http.ts";
import { HttpError } from "../../../../framework/http_error.ts";
import { pageQuery, pageSchema } from "../../../../services/pagination.ts";
import { importQuery, importStatement } from "../../../../services/settlement/actions.ts";
import { listStatements } from "../../../../services/settlement/store.ts";
import { statementSchema, totalsSchema } from "../../../../services/settlement/views.ts";
import { z } from "zod";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Imported settlement statements",
    description: "Newest first. Page with `cursor` = the previous page's `next_cursor`.",
    tags: ["settlements"],
    permission: "bids:read",
    query: pageQuery({ defaultLimit: 50, maxLimit: 200 }),
    responses: { 200: { description: "A page of statements", schema: pageSchema(statementSchema) } },
    async handler(ctx, { query }) {
      return { body: await listStatements(ctx.state.services.db(), principal(ctx).orgId, query) };
    },
  },
  POST: {
    summary: "Import an ISO settlement statement (CSV) and compare it with OptiBid's settlement",
    description: "The body is the CSV itself (`Content-Type: text/csv`, up to 50 MB), streamed. `format=pjm`: " +
      "datetime_beginning_utc, pnode_id, pnode_name, da_mw, da_lmp, da_energy_charge, rt_deviation_mw, rt_lmp, " +
      "balancing_energy_charge (PJM's sign: a charge is +). `format=generic`: interval_start, interval_end, " +
      "location, market (DA/RT), mw, price, amount (+ paid to you). Every row is checked; any bad row refuses " +
      "the whole file (400 `invalid_statement`, `details[].line` = its line number) and nothing is imported. " +
      "Every interval must lie in [from, to).",
    tags: ["settlements"],
    permission: "bids:write",
    query: importQuery,
    rawBody: { contentType: "text/csv", description: "The statement, in the format named by `format`" },
    responses: {
      201: {
        description: "Imported, with the comparison's totals",
        schema: z.object({ statement: statementSchema, totals: totalsSchema }),
      },
      400: { description: "A bad row (with its line number), a bad header, or bad parameters" },
      413: { description: "Larger than 50 MB" },
      415: { description: "Not sent as text/csv" },
    },
    async handler(ctx, { query }) {
      if (!CSV_MEDIA.test(ctx.req.headers.get("content-type") ?? "")) {
        throw new HttpError(415, "Send the statement as CSV with Content-Type: text/csv", {
          code: "unsupported_media_type",
        });
      }
      if (!ctx.req.body) throw new HttpError(400, "The request has no body; send the CSV", { code: "empty_body" });
      const body = await importStatement(ctx.state.services.db(), caller(ctx), query, ctx.req.body);
      return { status: 201, body };
    },
  },
});
