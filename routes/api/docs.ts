import { asset } from "fresh";
import { define } from "../../utils.ts";

/**
 * The interactive API reference (Scalar), served from the app's own build:
 * no CDN, and no inline script, so the page keeps the strict script policy.
 */
export const handler = define.api({
  GET: {
    summary: "Interactive API reference",
    tags: ["meta"],
    permission: "public",
    responses: { 200: { description: "HTML page", contentType: "text/html" } },
    handler() {
      const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>OptiBid API reference</title><link rel="icon" href="/favicon.svg" type="image/svg+xml"></head>
<body><div id="api-docs" data-openapi="/api/openapi.json"></div>
<script src="${asset("/scalar.js")}"></script><script src="/api-docs.js"></script></body></html>`;
      return new Response(html, {
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
      });
    },
  },
});
