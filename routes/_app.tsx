import { asset } from "fresh";
import { NavBar } from "../components/NavBar.tsx";
import { pageTitle } from "../components/page_title.ts";
import { canApprove } from "../services/auth/rbac.ts";
import { toHttpError } from "../server/errors.ts";
import { define } from "../utils.ts";

export default define.page(function App({ Component, url, state, error }) {
  const user = state.auth
    ? {
      name: state.auth.name,
      role: state.auth.role,
      approver: canApprove(state.auth),
      pendingApprovals: state.pendingApprovals,
      featuresOff: state.featuresOff,
    }
    : null;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{pageTitle(url.pathname, error ? toHttpError(error)?.status ?? 500 : 200)}</title>
        <meta name="description" content="Bid energy into US power markets." />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={asset("/styles.css")} />
      </head>
      <body class="flex min-h-screen flex-col">
        <a
          href="#main"
          class="sr-only focus:not-sr-only focus:absolute focus:m-2 focus:rounded focus:bg-white focus:p-2"
        >
          Skip to content
        </a>
        <NavBar path={url.pathname} user={user} live={state.clientIslands?.has("NotificationBell") ?? false} />
        <main id="main" class="mx-auto w-full max-w-7xl flex-1 px-4 py-6 sm:py-8">
          <Component />
        </main>
        <footer class="border-t border-slate-200 py-4 text-center text-xs text-slate-500">
          OptiBid · <a class="underline hover:text-slate-700" href="/api/docs">API reference</a> ·{" "}
          <a class="underline hover:text-slate-700" href="/system-status">System status</a>
        </footer>
      </body>
    </html>
  );
});
