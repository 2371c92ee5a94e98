import { ErrorBody } from "../../../framework/api.ts";
import { upgradeToStream } from "../../../server/realtime_http.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Your notifications and toasts (WebSocket)",
    description: "Upgrade to a WebSocket that carries no prices: `alert` frames for you and your organization " +
      "(a notification has `notification: { id, toast }`; read the unread count again when one comes) and " +
      "`heartbeat`s (answer with `pong`). What the bell on every page uses.",
    tags: ["notifications"],
    permission: "self",
    responses: {
      101: { description: "Switching protocols" },
      426: { description: "Not a WebSocket handshake", schema: ErrorBody },
    },
    handler(ctx) {
      return upgradeToStream(ctx, { zones: [] });
    },
  },
});
