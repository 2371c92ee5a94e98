import { z } from "zod";
import { ErrorBody } from "../../../../framework/api.ts";
import { ISOS } from "../../../../services/market/zones.ts";
import { upgradeToStream } from "../../../../server/realtime_http.ts";
import { parseZone } from "../../../../services/realtime/protocol.ts";
import { define } from "../../../../utils.ts";

export const handler = define.api({
  GET: {
    summary: "Price stream of one zone (WebSocket)",
    description: "As /api/ws/prices, starting with one zone. An unknown zone still upgrades, then gets an " +
      "`error` frame (`unknown_zone`) and a close with code 4404.",
    tags: ["realtime"],
    permission: "market:read",
    params: z.object({ zone: z.string().max(32).meta({ description: `One of ${ISOS.join(", ")}` }) }),
    responses: {
      101: { description: "Switching protocols: the stream follows on the WebSocket" },
      426: { description: "Not a WebSocket handshake", schema: ErrorBody },
    },
    handler(ctx, { params }) {
      const zone = parseZone(params.zone);
      return upgradeToStream(ctx, zone ? { zones: [zone] } : { zones: [], unknown: [params.zone] });
    },
  },
});
