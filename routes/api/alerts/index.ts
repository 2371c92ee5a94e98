import { principal } from "../../../server/auth_http.ts";
import { alertInput, alertSchema } from "../../../services/alerts/schema.ts";
import { alertsPage, createAlert } from "../../../services/alerts/store.ts";
import { pageQuery, pageSchema } from "../../../services/pagination.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Your organization's price alerts",
    tags: ["alerts"],
    permission: "market:read",
    query: pageQuery({ defaultLimit: 100, maxLimit: 500 }),
    responses: { 200: { description: "A page of alerts", schema: pageSchema(alertSchema) } },
    async handler(ctx, { query }) {
      return { body: await alertsPage(ctx.state.services.db(), principal(ctx).orgId, query) };
    },
  },
  POST: {
    summary: "Make a price alert",
    description: "Zones, a market, and conditions combined with `all` or `any`: `price_above`/`price_below` " +
      "a `level`, `spread_above` (DA − RT of the hour), `spike` (robust z-score above `k` against the " +
      "hour-of-week baseline of 28 days), `forecast_miss` (|price − forecast median| above `amount`). " +
      "Evaluated on every ingested batch; `hysteresis` and `cooldown_s` keep a hovering price to one firing. " +
      "Firings go to `channels` (toast, notification, email, webhook) and the history.",
    tags: ["alerts"],
    permission: "alerts:write",
    body: alertInput,
    responses: { 201: { description: "Made", schema: alertSchema } },
    async handler(ctx, { body }) {
      const s = ctx.state.services;
      const made = await createAlert(s.db(), { principal: principal(ctx), ip: ctx.state.ip }, body);
      await s.alerts.changed();
      return { status: 201, body: made };
    },
  },
});
