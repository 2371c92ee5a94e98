import { z } from "zod";
import { principal } from "../../../server/auth_http.ts";
import { caller } from "../../../server/bids_http.ts";
import {
  getVirtualSettings,
  pendingExposure,
  round2,
  updateVirtualSettings,
  virtualSettingsInput,
} from "../../../services/bids/credit.ts";
import { define } from "../../../utils.ts";

const settingsSchema = z.object({
  credit_limit: z.number(),
  fee_per_mwh: z.number(),
  updated_at: z.string().nullable(),
  pending_exposure: z.number().describe("Notional ($) of your submitted and cleared virtual bids"),
}).meta({ id: "VirtualSettings" });

export const handler = define.api({
  GET: {
    summary: "Your organization's virtual-bid credit limit and fee",
    description: "The credit limit bounds the notional exposure (Σ MW × |price| × hours) of pending " +
      "(submitted or cleared) virtual bids; a submission beyond it is a 409 `credit_limit_exceeded`. " +
      "Never set: a limit of $0.",
    tags: ["virtual-bids"],
    permission: "bids:read",
    feature: "virtual_bids",
    responses: { 200: { description: "Settings", schema: settingsSchema } },
    async handler(ctx) {
      const db = ctx.state.services.db();
      const { orgId } = principal(ctx);
      const s = await getVirtualSettings(db, orgId);
      return { body: { ...s, pending_exposure: round2(await pendingExposure(db, orgId)) } };
    },
  },
  PUT: {
    summary: "Set the virtual-bid credit limit and fee",
    description: "Admins only; audited (`virtual_settings.updated`, before and after).",
    tags: ["virtual-bids"],
    permission: "org:update",
    feature: "virtual_bids",
    body: virtualSettingsInput,
    responses: { 200: { description: "Saved", schema: settingsSchema } },
    async handler(ctx, { body }) {
      return { body: await updateVirtualSettings(ctx.state.services.db(), caller(ctx), body) };
    },
  },
});
