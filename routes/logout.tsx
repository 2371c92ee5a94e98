import { page } from "fresh";
import { AuthCard } from "../components/AuthLayout.tsx";
import { Button } from "../components/Form.tsx";
import { clearedCookies, cookieOf, metaOf, REFRESH_COOKIE } from "../server/auth_http.ts";
import { redirect } from "../server/pages.ts";
import { define } from "../utils.ts";

export const handler = define.handlers({
  // Signing out changes state, so it is a POST (a link or an image cannot sign anyone out); GET asks.
  GET(ctx) {
    if (!ctx.state.auth) return ctx.redirect("/login", 303);
    return page({ name: ctx.state.auth.name });
  },
  async POST(ctx) {
    const { accounts } = ctx.state.services.auth;
    if (ctx.state.auth) await accounts.logout(ctx.state.auth, {}, metaOf(ctx));
    const refresh = cookieOf(ctx.req, REFRESH_COOKIE);
    if (refresh) await accounts.logoutByRefreshToken(refresh);
    return redirect("/login", clearedCookies(ctx.url));
  },
});

export default define.page<typeof handler>(function Logout({ data }) {
  return (
    <AuthCard title="Sign out" subtitle={`Signed in as ${data.name}.`}>
      <form method="post" action="/logout">
        <Button>Sign out</Button>
      </form>
    </AuthCard>
  );
});
