import { HttpError } from "../framework/http_error.ts";
import { isPlatformAdmin } from "../server/admin_http.ts";
import { sha256Hex } from "../services/crypto/sha256.ts";
import { define } from "../utils.ts";

/** Equal without saying where they differ: both sides hashed first, so length and content leak nothing. */
async function sameSecret(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256Hex(a), sha256Hex(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x.charCodeAt(i) ^ y.charCodeAt(i);
  return diff === 0;
}

export const handler = define.api({
  GET: {
    summary: "Prometheus metrics",
    description: "Prometheus' text exposition format: `http_requests_total` and " +
      "`http_request_duration_seconds` by route pattern and status, WebSocket connections and frames, " +
      "`ingest_ticks_total` (its rate is the ingest rate), queue dead letters, outbox backlog and age, " +
      "database pool, forecast and strategy runs, quota refusals. Send `Authorization: Bearer " +
      "<METRICS_TOKEN>`, or be signed in as a platform admin (`PLATFORM_ADMINS`).",
    tags: ["health"],
    // Checked here: a scraper's token is no user's credential.
    permission: "public",
    responses: {
      200: { description: "The metrics", contentType: "text/plain; version=0.0.4" },
      401: { description: "Neither the metrics token nor a platform admin" },
    },
    async handler(ctx) {
      const { config, metrics } = ctx.state.services;
      const m = /^Bearer\s+(\S+)$/i.exec(ctx.req.headers.get("authorization") ?? "");
      const byToken = !!(config.metricsToken && m && await sameSecret(m[1], config.metricsToken));
      if (!byToken && !isPlatformAdmin(ctx)) {
        throw new HttpError(401, "Send the metrics token (METRICS_TOKEN) or sign in as a platform admin", {
          code: "unauthenticated",
          headers: { "WWW-Authenticate": `Bearer realm="metrics"` },
        });
      }
      return new Response(await metrics.render(), {
        headers: { "content-type": metrics.contentType, "cache-control": "no-store" },
      });
    },
  },
});
