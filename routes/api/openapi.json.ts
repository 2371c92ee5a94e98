import { z } from "zod";
import { buildOpenApi } from "../../framework/openapi.ts";
import manifest from "../../fresh.gen.ts";
import { define } from "../../utils.ts";

let cached: { version: string; doc: unknown } | null = null;

export const handler = define.api({
  GET: {
    summary: "This API's OpenAPI 3.1 document",
    description: "Generated from the zod schemas each route declares; the same schemas validate requests.",
    tags: ["meta"],
    permission: "public",
    responses: { 200: { description: "OpenAPI document", schema: z.looseObject({ openapi: z.literal("3.1.0") }) } },
    handler(ctx) {
      const version = ctx.state.services.config.appVersion;
      if (!cached || cached.version !== version) {
        cached = {
          version,
          doc: buildOpenApi(manifest, {
            title: "OptiBid API",
            version,
            description: "Bid energy into US power markets: prices, assets, bids, clearing and settlement.",
          }),
        };
      }
      return { body: cached.doc, headers: { "cache-control": "no-cache" } };
    },
  },
});
