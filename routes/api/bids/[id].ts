import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { uuidParam } from "../../../services/auth/schemas.ts";
import { bidSchema, validated } from "../../../services/bids/api.ts";
import { bidInputSchema } from "../../../services/bids/schema.ts";
import { int4, INT4_MAX } from "../../../services/schemas/numeric.ts";
import { bidHistory, deleteDraft, getBid, updateDraft } from "../../../services/bids/store.ts";
import type { Transaction } from "../../../db/database.ts";
import { define } from "../../../utils.ts";

const historySchema = z.array(z.object({
  from: z.string().nullable(),
  to: z.string(),
  at: z.string(),
  actor_user_id: z.string().nullable(),
  actor_email: z.string().nullable(),
  actor_system: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
}));

export const handler = define.api({
  GET: {
    summary: "A bid and its history",
    tags: ["bids"],
    permission: "bids:read",
    params: uuidParam,
    responses: {
      200: { description: "The bid", schema: bidSchema.extend({ history: historySchema }) },
      404: { description: "Not found" },
    },
    async handler(ctx, { params }) {
      const db = ctx.state.services.db();
      const { orgId } = principal(ctx);
      const bid = await getBid(db, orgId, params.id);
      return { body: { ...bid, history: await bidHistory(db, orgId, params.id) } };
    },
  },
  PUT: {
    summary: "Edit a draft",
    description: "Only drafts are edited. Send the `version` you read: if the bid changed since, 409.",
    tags: ["bids"],
    permission: "bids:write",
    params: uuidParam,
    body: bidInputSchema.extend({ version: int4({ min: 1 }) }),
    responses: {
      200: { description: "Updated", schema: bidSchema },
      409: { description: "Changed meanwhile, or not a draft" },
    },
    async handler(ctx, { params, body }) {
      const p = principal(ctx);
      const { version, ...input } = body;
      const bid = await ctx.state.services.db().transaction(async (tx: Transaction) => {
        const checked = await validated(tx, p, input);
        return await updateDraft(tx, p, params.id, version, checked);
      });
      ctx.state.services.bids.kick();
      return { body: bid };
    },
  },
  DELETE: {
    summary: "Delete a draft",
    tags: ["bids"],
    permission: "bids:write",
    params: uuidParam,
    query: z.object({ version: z.coerce.number().int().positive().max(INT4_MAX).optional() }),
    responses: { 204: { description: "Deleted" }, 409: { description: "Not a draft, or changed meanwhile" } },
    async handler(ctx, { params, query }) {
      const p = principal(ctx);
      await ctx.state.services.db().transaction((tx: Transaction) => deleteDraft(tx, p, params.id, query.version));
      ctx.state.services.bids.kick();
      return { status: 204, body: null };
    },
  },
});
