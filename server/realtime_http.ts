/**
 * The WebSocket routes' upgrade: by then the API layer has answered 401/403
 * (permission `market:read`), so here only the handshake itself is checked.
 */
import { HttpError } from "../framework/http_error.ts";
import type { FreshContext } from "../framework/types.ts";
import type { State } from "../utils.ts";
import { ownOrigin, principal } from "./auth_http.ts";
import type { Iso } from "../services/market/zones.ts";
import { quotaError } from "../services/admin/meter.ts";
import { counters } from "../services/metrics/metrics.ts";
import { CLOSE_UNKNOWN_ZONE, type ErrorMessage } from "../services/realtime/protocol.ts";

export function isWebSocketUpgrade(req: Request): boolean {
  return (req.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
}

/**
 * Upgrades and hands the socket to the hub. `zones` is what the URL asked for;
 * unknown zone names still upgrade, get an error frame and close 4404, so a
 * client learns why instead of seeing a bare failed handshake.
 */
export function upgradeToStream(
  ctx: FreshContext<State>,
  request: { zones: Iso[] | "all"; unknown?: string[]; audit?: boolean },
): Response {
  const p = principal(ctx);
  if (!isWebSocketUpgrade(ctx.req)) {
    throw new HttpError(426, "This endpoint speaks WebSocket: connect with ws:// or wss://", {
      code: "upgrade_required",
      headers: { upgrade: "websocket" },
    });
  }
  // Browsers send cookies with cross-site WebSocket handshakes and CORS does not apply to them,
  // so a page of another origin could read a signed-in user's stream (cross-site WebSocket hijacking).
  const origin = ctx.req.headers.get("origin");
  if (p.via === "cookie" && origin !== null && origin !== ownOrigin(ctx)) {
    throw new HttpError(403, "WebSocket connections with session cookies must come from the app's own pages", {
      code: "csrf_rejected",
    });
  }
  const { admin, realtime } = ctx.state.services;
  if (admin.quotasOn) {
    const limit = admin.quotasOf(p.orgId).ws_connections;
    // Counted on every instance: this one's exactly, the others' from their last census over the bus.
    if (realtime.clusterConnectionsOf(p.orgId) >= limit) {
      throw quotaError({ quota: "ws_connections", limit, retryAfterS: 60 });
    }
    admin.meter.wsOpened(p.orgId);
  }
  counters.wsConnectionsOpened.inc();
  const { socket, response } = Deno.upgradeWebSocket(ctx.req);
  if (request.unknown?.length) {
    const frame: ErrorMessage = {
      type: "error",
      code: "unknown_zone",
      message: `Unknown zone: ${request.unknown.join(", ")}`,
      details: { unknown: request.unknown },
    };
    socket.onopen = () => {
      socket.send(JSON.stringify(frame));
      socket.close(CLOSE_UNKNOWN_ZONE, "unknown zone");
    };
    return response;
  }
  ctx.state.services.realtime.accept(socket, {
    userId: p.userId,
    orgId: p.orgId,
    zones: request.zones,
    audit: request.audit === true,
  });
  return response;
}
