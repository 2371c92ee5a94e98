import { principal } from "../../../../../server/auth_http.ts";
import { uuidParam } from "../../../../../services/auth/schemas.ts";
import { csvField, csvResponse } from "../../../../../services/http/csv.ts";
import { getStatement, listDifferences } from "../../../../../services/settlement/store.ts";
import { differenceFilterQuery } from "../../../../../services/settlement/views.ts";
import { define } from "../../../../../utils.ts";

const HEADER = "hour_utc,location,market,status,iso_mw,iso_amount,our_mw,our_amount,difference,first_line," +
  "review,review_comment";

export const handler = define.api({
  GET: {
    summary: "The statement's differences as CSV",
    description: "The same filters as the differences list, every page, streamed.",
    tags: ["settlements"],
    permission: "bids:read",
    params: uuidParam,
    query: differenceFilterQuery,
    responses: { 200: { description: "CSV", contentType: "text/csv" }, 404: { description: "No such statement" } },
    async handler(ctx, { params, query }) {
      const db = ctx.state.services.db();
      const { orgId } = principal(ctx);
      await getStatement(db, orgId, params.id);
      const filter = { ...query, status: query.status ?? "differences" as const };
      async function* pages() {
        let cursor: string | undefined;
        do {
          const page = await listDifferences(db, orgId, params.id, { ...filter, limit: 1000, cursor });
          yield page.items.map((d) =>
            [
              d.hour,
              d.location,
              d.market,
              d.status,
              d.iso_mw,
              d.iso_amount,
              d.our_mw,
              d.our_amount,
              d.difference,
              d.first_line,
              d.review?.status,
              d.review?.comment,
            ].map(csvField).join(",")
          );
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
      }
      return csvResponse(`statement-${params.id}-differences.csv`, HEADER, pages());
    },
  },
});
