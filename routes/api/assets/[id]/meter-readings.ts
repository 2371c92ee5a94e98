import { z } from "zod";
import { principal } from "../../../../server/auth_http.ts";
import { uuidParam } from "../../../../services/auth/schemas.ts";
import {
  MAX_RANGE_DAYS,
  MAX_READING_MINUTES,
  MAX_READINGS,
  readingsBody,
  readingSchema,
  readingsDeleteQuery,
  readingsQuery,
} from "../../../../services/assets/meter_schemas.ts";
import { readingsPage } from "../../../../services/assets/meter_store.ts";
import { deleteReadings, writeReadings } from "../../../../services/assets/actions.ts";
import { pageSchema } from "../../../../services/pagination.ts";
import { getAsset } from "../../../../services/assets/store.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Meter readings of an asset",
    description: `Readings whose interval starts in [from, to), oldest first; at most ${MAX_RANGE_DAYS} days. ` +
      "Page with `cursor` = the previous page's `next_cursor`.",
    tags: ["assets"],
    permission: "assets:read",
    params: uuidParam,
    query: readingsQuery,
    responses: {
      200: { description: "A page of readings", schema: pageSchema(readingSchema) },
      404: { description: "No such asset" },
    },
    async handler(ctx, { params, query }) {
      const to = query.to ?? new Date().toISOString();
      const from = query.from ?? new Date(Date.parse(to) - 86_400_000).toISOString();
      const db = ctx.state.services.db();
      const { orgId } = principal(ctx);
      await getAsset(db, orgId, params.id);
      return { body: await readingsPage(db, orgId, params.id, { from, to, limit: query.limit, cursor: query.cursor }) };
    },
  },
  PUT: {
    summary: "Record meter readings of an asset",
    description: `1–${MAX_READINGS} readings of past intervals on the 5-minute grid, up to ${MAX_READING_MINUTES} ` +
      "minutes each, not overlapping. `mw` is the average net injection: + generation or discharge, " +
      "− consumption or charge, within the asset's power for that direction. A reading for an interval start " +
      "already recorded replaces it (a correction). A cleared day-ahead bid settles its deviation from these " +
      "at the real-time price; a reading in the hour of a settled one is refused (409): settlement is final. " +
      "All or nothing.",
    tags: ["assets"],
    permission: "assets:write",
    params: uuidParam,
    body: readingsBody,
    responses: {
      200: {
        description: "Written",
        schema: z.object({
          items: z.array(readingSchema),
          created: z.number().int(),
          corrected: z.number().int(),
        }),
      },
      400: { description: "Invalid readings, each naming its index" },
      404: { description: "No such asset" },
      409: { description: "A reading falls in a settled bid, or overlaps a stored reading of another interval" },
    },
    async handler(ctx, { params, body }) {
      const actor = { principal: principal(ctx), ip: ctx.state.ip };
      return { body: await writeReadings(ctx.state.services.db(), actor, params.id, body.readings) };
    },
  },
  DELETE: {
    summary: "Delete meter readings of an asset",
    description: `Deletes the readings whose interval starts in [from, to), at most ${MAX_RANGE_DAYS} days; both ` +
      "ends are required. All or nothing: refused (409) when a reading falls in a settled day-ahead bid, whose " +
      "settlement used it. Settled bids aside, a deleted reading is as if never recorded: a cleared bid of its " +
      "hour settles without it.",
    tags: ["assets"],
    permission: "assets:write",
    params: uuidParam,
    query: readingsDeleteQuery,
    responses: {
      200: { description: "Deleted", schema: z.object({ deleted: z.number().int() }) },
      400: { description: "A missing or bad range" },
      404: { description: "No such asset" },
      409: { description: "A reading falls in a settled bid" },
    },
    async handler(ctx, { params, query }) {
      const actor = { principal: principal(ctx), ip: ctx.state.ip };
      return { body: await deleteReadings(ctx.state.services.db(), actor, params.id, query) };
    },
  },
});
