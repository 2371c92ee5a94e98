import { page } from "fresh";
import { StatusBadge } from "../components/StatusBadge.tsx";
import { define } from "../utils.ts";

export const handler = define.handlers({
  GET(ctx) {
    const { services } = ctx.state;
    // Rendered once per second and per change of any service's state, not per request.
    // The navigation shows the viewer, so the viewer is part of the key.
    const viewer = ctx.state.auth ? `${ctx.state.auth.userId}:${ctx.state.auth.role}:${ctx.state.auth.name}` : "-";
    const cacheKey = `${viewer}:${services.stateVersion()}:${Math.floor(Date.now() / 1000)}`;
    return page({ report: services.healthReport().body }, { cacheKey });
  },
});

export default define.page<typeof handler>(function Dashboard({ data }) {
  const { report } = data;
  const up = report.services.filter((s) => s.status === "available").length;
  const configured = report.services.filter((s) => s.status !== "disabled").length;
  return (
    <div class="space-y-6">
      <header class="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 class="text-2xl font-bold tracking-tight">Dashboard</h1>
          <p class="mt-1 text-sm text-slate-600">The platform at a glance.</p>
        </div>
        <a href="/system-status" class="text-sm font-medium text-brand-600 hover:text-brand-700">
          Live status →
        </a>
      </header>
      <section aria-labelledby="services-heading" class="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200">
        <div class="flex flex-wrap items-center justify-between gap-3">
          <h2 id="services-heading" class="text-base font-semibold">Services</h2>
          <StatusBadge status={report.status} />
        </div>
        <p class="mt-2 text-sm text-slate-600">
          <span class="font-semibold tabular-nums text-slate-900" data-testid="services-up">{up}</span> of{" "}
          <span class="tabular-nums">{configured}</span> configured services available · version {report.version}
        </p>
        <ul class="mt-4 grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3">
          {report.services.map((s) => (
            <li key={s.name} class="flex items-center justify-between rounded-lg border border-slate-200 px-3 py-2">
              <div>
                <p class="text-sm font-medium">{s.name}</p>
                <p class="text-xs text-slate-500">{s.features.join(", ")}</p>
              </div>
              <StatusBadge status={s.status} />
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
});
