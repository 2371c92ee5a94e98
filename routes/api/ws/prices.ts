import { z } from "zod";
import { ErrorBody } from "../../../framework/api.ts";
import { ISOS } from "../../../services/market/zones.ts";
import { upgradeToStream } from "../../../server/realtime_http.ts";
import { parseZones } from "../../../services/realtime/protocol.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Price stream of every zone (WebSocket)",
    description: "Upgrade to a WebSocket: `welcome`, a `snapshot` of the latest prices, then `prices` updates " +
      "(one frame per flush window), `alert`s and `heartbeat`s (answer with `pong`). Every zone unless `zones` " +
      "names some; change it with `subscribe`/`unsubscribe` frames. Message types: services/realtime/protocol.ts. " +
      "Browsers authenticate with the session cookie, scripts with `Authorization: Bearer`.",
    tags: ["realtime"],
    permission: "market:read",
    query: z.object({
      zones: z.string().max(200).optional().meta({ description: `Comma-separated, of ${ISOS.join(", ")}` }),
    }),
    responses: {
      101: { description: "Switching protocols: the stream follows on the WebSocket" },
      426: { description: "Not a WebSocket handshake", schema: ErrorBody },
    },
    handler(ctx, { query }) {
      if (!query.zones) return upgradeToStream(ctx, { zones: "all" });
      const { zones, unknown } = parseZones(query.zones.split(",").filter((s: string) => s.trim()));
      return upgradeToStream(ctx, { zones: zones.length || unknown.length ? zones : "all", unknown });
    },
  },
});
