import { page } from "fresh";
import { AdminNav } from "../../../components/AdminNav.tsx";
import SystemMetrics, { type SystemFigures } from "../../../islands/SystemMetrics.tsx";
import { requirePlatformAdminPage } from "../../../server/admin_http.ts";
import { systemSummary } from "../../../services/metrics/summary.ts";
import { define } from "../../../utils.ts";

export const handler = define.handlers({
  async GET(ctx) {
    requirePlatformAdminPage(ctx);
    const { metrics, realtime } = ctx.state.services;
    return page<{ figures: SystemFigures }>({ figures: await systemSummary(metrics, realtime.instanceId) });
  },
});

export default define.page<typeof handler>(function System({ data }) {
  return (
    <div class="space-y-6">
      <AdminNav current="/admin/system" operator />
      <header>
        <h1 class="text-2xl font-bold tracking-tight">System</h1>
        <p class="mt-1 text-sm text-slate-600">
          This instance's key figures, live. Prometheus scrapes them all at <code>GET /metrics</code> (with{" "}
          <code>METRICS_TOKEN</code>); docker compose runs Prometheus and a Grafana dashboard.
        </p>
      </header>
      <SystemMetrics initial={data.figures} />
    </div>
  );
});
