import { z } from "zod";
import { flagSchema } from "../../../../services/admin/schemas.ts";
import { isPlatformAdmin, scopedOrg } from "../../../../server/admin_http.ts";
import { evaluateFlag, type Flag } from "../../../../services/admin/flags.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Feature flags and whether your organization has each",
    description: "`enabled` is for your organization (or, for a platform admin, the one `org_id` names), " +
      "with where it comes from: an override for it, the percentage rollout (stable per organization: a " +
      "hash of its id and the flag's key) or the default. A platform admin also sees each flag's default, " +
      "rollout and overrides.",
    tags: ["admin"],
    permission: "admin:flags",
    query: z.object({ org_id: z.uuid().optional() }),
    responses: { 200: { description: "Every flag", schema: z.object({ items: z.array(flagSchema) }) } },
    async handler(ctx, { query }) {
      const orgId = scopedOrg(ctx, query.org_id);
      const flags: Flag[] = await ctx.state.services.admin.allFlags();
      const operator = isPlatformAdmin(ctx);
      return {
        body: {
          items: flags.map((f) => ({
            key: f.key,
            description: f.description,
            ...evaluateFlag(f, orgId),
            ...(operator
              ? {
                default: f.enabled,
                rollout_percent: f.rollout_percent,
                overrides: [...f.overrides].map(([org_id, enabled]) => ({ org_id, enabled })),
              }
              : {}),
          })),
        },
      };
    },
  },
});
