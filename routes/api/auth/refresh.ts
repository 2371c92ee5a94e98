import { z } from "zod";
import { cookieOf, metaOf, REFRESH_COOKIE, sessionCookies, withCookies } from "../../../server/auth_http.ts";
import { tokenPairSchema } from "../../../services/auth/schemas.ts";
import { HttpError } from "../../../framework/http_error.ts";
import { define } from "../../../utils.ts";

export const handler = define.api({
  POST: {
    summary: "Exchange a refresh token for a new session pair",
    description: "The refresh token is rotated: the one presented is spent. Presenting a spent token again ends " +
      "the whole session (reuse detection) — except within 5 s of its rotation, when it is taken for a concurrent " +
      "refresh (two tabs) and gets a successor of its own in the same session. Without `refresh_token` in the " +
      "body, the session cookie is renewed instead (what the app's pages do when their access token expires): the " +
      "answer is a 204 that sets new cookies and shows no token to scripts. Such a cookie-bound request must come " +
      "from the app's own origin.",
    tags: ["auth"],
    permission: "public",
    body: z.object({ refresh_token: z.string().min(1).max(200).optional() }).optional(),
    responses: {
      200: { description: "New access and refresh tokens", schema: tokenPairSchema },
      204: { description: "Cookie session renewed (new cookies set)" },
      401: { description: "Invalid, expired or reused refresh token" },
    },
    async handler(ctx, { body }) {
      const { accounts } = ctx.state.services.auth;
      if (body?.refresh_token) return { body: await accounts.refresh(body.refresh_token, metaOf(ctx)) };
      // The root middleware has already refused a cross-site request carrying our cookies (CSRF).
      const cookie = cookieOf(ctx.req, REFRESH_COOKIE);
      if (!cookie) {
        throw new HttpError(401, "No refresh token: send refresh_token, or sign in", { code: "unauthenticated" });
      }
      const tokens = await accounts.refresh(cookie, metaOf(ctx));
      return withCookies(
        new Response(null, { status: 204, headers: { "cache-control": "no-store" } }),
        sessionCookies(ctx.url, tokens),
      );
    },
  },
});
