/**
 * The project's Fresh-compatible layer (Fresh itself is on JSR, which these
 * machines cannot reach). Imported as "fresh" through deno.json's import map,
 * so moving to `jsr:@fresh/core` later changes the wiring, not the routes.
 */
export { createDefine, type Define, isPageResult, page } from "./define.ts";
export { HttpError } from "./http_error.ts";
export { asset } from "./assets.ts";
export { type ApiOperation, type ApiResult, defineApi, ErrorBody } from "./api.ts";
export type { FreshContext, Manifest, PageProps, RouteConfig } from "./types.ts";
