import { page } from "fresh";
import StatusBoard from "../islands/StatusBoard.tsx";
import { mayInspectInstance } from "../services/auth/operator.ts";
import { summarize } from "../services/health/report.ts";
import { define } from "../utils.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const { services } = ctx.state;
    // Rendered once per second and per change of any service's state, not per request.
    // The navigation shows the viewer, so the viewer is part of the key.
    const viewer = ctx.state.auth ? `${ctx.state.auth.userId}:${ctx.state.auth.role}:${ctx.state.auth.name}` : "-";
    const cacheKey = `${viewer}:${services.stateVersion()}:${Math.floor(Date.now() / 1000)}`;
    // The same rule as /health: each service's details are for admins; anyone sees the overall status.
    const report = services.healthReport();
    const detailed = mayInspectInstance(ctx.state.auth, services.config.operatorEmails);
    // A signed-in viewer reads times in their `/settings` zone; a visitor in the browser's.
    const prefs = ctx.state.auth ? await services.auth.profile.preferences(ctx.state.auth.userId) : null;
    return page({ report: detailed ? report.body : summarize(report).body, timeZone: prefs?.time_zone ?? null }, {
      cacheKey,
    });
  },
});

export default define.page<typeof handler>(function SystemStatus({ data }) {
  return (
    <div class="space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">System status</h1>
        <p class="mt-1 text-sm text-slate-600">
          Every service OptiBid uses, live. Optional services fall back (Redis → Deno KV cache, Kafka → Deno KV queue,
          ClickHouse → SQL analytics, MLflow → the model registry table) and never block the app.
        </p>
      </header>
      <StatusBoard initial={data.report} timeZone={data.timeZone} />
    </div>
  );
});
