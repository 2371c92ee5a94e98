import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { bidDeps, caller, withBody } from "../../../server/bids_http.ts";
import { answer, keyedRequest } from "../../../server/idempotency_http.ts";
import { uuidParam } from "../../../services/auth/schemas.ts";
import { deleteDraft, editDraft } from "../../../services/bids/actions.ts";
import { bidInputSchema, virtualBidInputSchema } from "../../../services/bids/schema.ts";
import { bidHistory, getBid } from "../../../services/bids/store.ts";
import { bidSchema } from "../../../services/bids/views.ts";
import { int4, INT4_MAX } from "../../../services/schemas/numeric.ts";
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
    description: "Only drafts are edited. Send the `version` you read: if the bid changed since, 409. " +
      "Accepts `Idempotency-Key`.",
    tags: ["bids"],
    permission: "bids:write",
    params: uuidParam,
    body: z.discriminatedUnion("kind", [
      bidInputSchema.extend({ version: int4({ min: 1 }) }),
      virtualBidInputSchema.extend({ version: int4({ min: 1 }) }),
    ]),
    responses: {
      200: { description: "Updated", schema: bidSchema },
      409: { description: "Changed meanwhile, or not a draft" },
    },
    async handler(ctx, { params, body }) {
      const { version, ...bid } = body;
      const out = await withBody(() =>
        editDraft(bidDeps(ctx), caller(ctx), params.id, { version, bid }, {
          idempotency: keyedRequest(ctx, { id: params.id, ...body }),
        })
      );
      return answer(out, 200);
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
      await deleteDraft(bidDeps(ctx), caller(ctx), params.id, { version: query.version });
      return { status: 204, body: null };
    },
  },
});
