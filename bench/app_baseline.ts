/**
 * The SSR benches' baseline: the same app, same middleware, same server, but
 * the page's path answered with the page's bytes from memory instead of being
 * rendered. The ratio against it is the cost of rendering alone.
 */
import { loadConfig } from "../services/config/env.ts";
import { startServer } from "../server/start.ts";

const [path, file] = Deno.args;
const bytes = await Deno.readFile(file);
await startServer(loadConfig(Deno.env.toObject()), {
  configureApp: (app) => {
    app.get(
      path,
      () =>
        new Response(bytes, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" } }),
    );
  },
});
