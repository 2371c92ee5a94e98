import { define } from "../../../utils.ts";
import { signedIn } from "../../../server/pages.ts";

/** /market opens the viewer's default zone (Settings), PJM otherwise. */
export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const [row] = await ctx.state.services.db().query<{ zone: string | null }>(
      `SELECT preferences->>'default_zone' AS zone FROM users WHERE id = $1`,
      [p.userId],
    );
    return ctx.redirect(`/market/${row?.zone ?? "PJM"}`, 303);
  },
});
