import { define } from "../../../utils.ts";
import { signedIn } from "../../../server/pages.ts";

/** /market opens the viewer's default zone (Settings), PJM otherwise. */
export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const zone = await ctx.state.services.auth.profile.defaultZone(p.userId);
    return ctx.redirect(`/market/${zone ?? "PJM"}`, 303);
  },
});
