import { z } from "zod";
import { OPERATOR_PERMISSION } from "../../../../services/auth/operator.ts";
import { plain, uuidParam } from "../../../../services/auth/schemas.ts";
import { getOrganization, orgMembers } from "../../../../services/admin/store.ts";
import {
  flagSchema,
  orgSummarySchema,
  ownQuotasSchema,
  quotasSchema,
  usageDaySchema,
} from "../../../../services/admin/schemas.ts";
import { usageDays, usageRange } from "../../../../services/admin/usage.ts";
import { orgOut } from "../../../../server/admin_http.ts";
import { notFound } from "../../../../services/errors.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "One organization in full (platform admins)",
    description: "Its status, members, quotas (its own settings and what applies), the last 30 days of usage " +
      "and the feature flags it gets.",
    tags: ["admin"],
    permission: OPERATOR_PERMISSION,
    params: uuidParam,
    responses: {
      200: {
        description: "The organization",
        schema: z.object({
          organization: orgSummarySchema,
          members: z.array(z.object({
            id: z.uuid(),
            email: z.string(),
            name: z.string(),
            role: z.string(),
            status: z.string(),
            joined_at: z.string(),
          })),
          quotas: z.object({ own: ownQuotasSchema.nullable(), effective: quotasSchema }),
          usage: z.array(usageDaySchema),
          flags: z.array(flagSchema),
        }),
      },
      404: { description: "No such organization" },
    },
    async handler(ctx, { params }) {
      const { admin } = ctx.state.services;
      const db = ctx.state.services.db();
      const org = await getOrganization(db, params.id);
      if (!org) throw notFound("No such organization");
      await admin.meter.flushUsage();
      const [members, usage, flags] = await Promise.all([
        orgMembers(db, org.id),
        usageDays(db, org.id, usageRange({})),
        admin.flagsFor(org.id),
      ]);
      return {
        body: {
          organization: orgOut(org),
          members: plain(members) as never,
          quotas: { own: admin.ownQuotas(org.id), effective: admin.quotasOf(org.id) },
          usage,
          flags,
        },
      };
    },
  },
});
