import { ErrorBody } from "../../../framework/api.ts";
import { upgradeToStream } from "../../../server/realtime_http.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Your organization's audit log, live (WebSocket)",
    description: "Upgrade to a WebSocket that carries no prices: an `audit` frame whenever your organization " +
      "has new audit entries (no entry in it: ask `GET /api/admin/audit-logs?after=<newest id you have>` with " +
      "your filters), the organization's `alert`s and `heartbeat`s (answer with `pong`). What the live " +
      "activity feed on /admin/activity uses.",
    tags: ["admin"],
    permission: "audit:read",
    responses: {
      101: { description: "Switching protocols" },
      426: { description: "Not a WebSocket handshake", schema: ErrorBody },
    },
    handler(ctx) {
      return upgradeToStream(ctx, { zones: [], audit: true });
    },
  },
});
