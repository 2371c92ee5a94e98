import { page } from "fresh";
import type { FreshContext } from "fresh";
import { Button, Card, Checkbox, Field, type FieldErrors, Notice, Select } from "../../../components/Form.tsx";
import { alertFromForm, CONDITION_LABELS, CONDITION_ROWS } from "../../../components/alert_form.ts";
import { toHttpError } from "../../../server/errors.ts";
import { formErrorsOf, formObject, parseForm, redirect, signedIn } from "../../../server/pages.ts";
import {
  ALERT_CHANNELS,
  alertInput,
  type AlertView,
  type Condition,
  type FiringView,
} from "../../../services/alerts/schema.ts";
import { alertsPage, createAlert, deleteAlert, historyPage, updateAlert } from "../../../services/alerts/store.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import { can } from "../../../services/auth/rbac.ts";
import { ISOS } from "../../../services/market/zones.ts";
import { define, type State } from "../../../utils.ts";

interface Data {
  alerts: AlertView[];
  history: FiringView[];
  canWrite: boolean;
  errors: FieldErrors;
  values: Record<string, string>;
  notice?: string;
}

const DONE: Record<string, string> = {
  created: "Alert saved. It is checked against every price from now on.",
  deleted: "Alert removed.",
  toggled: "Alert updated.",
};

async function load(ctx: FreshContext<State>, p: Principal, extra: Partial<Data> = {}): Promise<Data> {
  const db = ctx.state.services.db();
  const [alerts, history] = await Promise.all([
    alertsPage(db, p.orgId, { limit: 200 }),
    historyPage(db, p.orgId, { limit: 50 }),
  ]);
  return {
    alerts: alerts.items,
    history: history.items,
    canWrite: can(p.role, "alerts:write"),
    errors: {},
    values: {},
    ...extra,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const done = DONE[ctx.url.searchParams.get("done") ?? ""];
    return page<Data>(await load(ctx, p, done ? { notice: done } : {}));
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const s = ctx.state.services;
    const values = await formObject(ctx.req);
    const actor = { principal: p, ip: ctx.state.ip };
    try {
      if (values._action === "delete" || values._action === "toggle") {
        if (!UUID.test(values.id ?? "")) {
          return page<Data>(await load(ctx, p, { errors: { _form: "No such alert" } }), { status: 400 });
        }
        if (values._action === "delete") await deleteAlert(s.db(), actor, values.id);
        else await updateAlert(s.db(), actor, values.id, { enabled: values.enabled === "true" });
        await s.alerts.changed();
        return redirect(`/alerts?done=${values._action === "delete" ? "deleted" : "toggled"}`);
      }
      const parsed = parseForm(alertInput, alertFromForm(values) as Record<string, string>);
      if (!parsed.ok) return page<Data>(await load(ctx, p, { errors: parsed.errors, values }), { status: 400 });
      await createAlert(s.db(), actor, parsed.data);
      await s.alerts.changed();
      return redirect("/alerts?done=created");
    } catch (e) {
      return page<Data>(await load(ctx, p, { errors: formErrorsOf(e), values }), {
        status: toHttpError(e)?.status ?? 400,
      });
    }
  },
});

function describe(c: Condition): string {
  switch (c.kind) {
    case "price_above":
      return `price > $${c.level}`;
    case "price_below":
      return `price < $${c.level}`;
    case "spread_above":
      return `DA − RT > $${c.level}`;
    case "spike":
      return `z-score > ${c.k}`;
    case "forecast_miss":
      return `|price − forecast| > $${c.amount}`;
  }
}

const KIND_OPTIONS = [
  { value: "", label: "—" },
  ...Object.entries(CONDITION_LABELS).map(([value, label]) => ({ value, label })),
];

export default define.page<typeof handler>(function Alerts({ data }) {
  const v = data.values;
  const e = data.errors;
  const fresh = Object.keys(v).length === 0;
  return (
    <div class="space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Price alerts</h1>
        <p class="mt-1 text-sm text-slate-600">
          Be told when a zone's price crosses a level, the DA–RT spread widens, a price spikes against its usual hour of
          the week, or the market misses the forecast. Checked on every price as it arrives.
        </p>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      {e._form && <Notice kind="error">{e._form}</Notice>}

      <Card title={`Alerts (${data.alerts.length})`}>
        {data.alerts.length === 0
          ? <p class="text-sm text-slate-600">No alerts yet{data.canWrite ? ": make one below." : "."}</p>
          : (
            <ul class="-mx-5 divide-y divide-slate-100 border-t border-slate-200" data-testid="alert-list">
              {data.alerts.map((a) => (
                <li key={a.id} class="flex flex-wrap items-center justify-between gap-3 px-5 py-3">
                  <div class="min-w-0">
                    <p class="font-medium">
                      {a.name}{" "}
                      {!a.enabled && <span class="ml-1 rounded bg-slate-100 px-1.5 text-xs text-slate-600">off</span>}
                    </p>
                    <p class="text-xs text-slate-500">
                      {a.zones.join(", ")} {a.market} ·{" "}
                      {a.conditions.map(describe).join(a.combine === "all" ? " and " : " or ")}
                      {" · "}
                      {a.channels.join(", ")} · cooldown {Math.round(a.cooldown_s / 60)} min
                    </p>
                    {a.last_fired_at && (
                      <p class="text-xs text-slate-400">
                        Last fired {a.last_fired_at.replace("T", " ").slice(0, 16)} UTC
                      </p>
                    )}
                  </div>
                  {data.canWrite && (
                    <div class="flex gap-2">
                      <form method="post">
                        <input type="hidden" name="_action" value="toggle" />
                        <input type="hidden" name="id" value={a.id} />
                        <input type="hidden" name="enabled" value={a.enabled ? "false" : "true"} />
                        <Button variant="secondary">{a.enabled ? "Pause" : "Resume"}</Button>
                      </form>
                      <form method="post">
                        <input type="hidden" name="_action" value="delete" />
                        <input type="hidden" name="id" value={a.id} />
                        <Button variant="danger">Delete</Button>
                      </form>
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )}
      </Card>

      {data.canWrite && (
        <Card title="New alert" id="new">
          <form method="post" class="space-y-4" data-testid="alert-form">
            <input type="hidden" name="_action" value="create" />
            <div class="grid gap-4 sm:grid-cols-3">
              <Field name="name" label="Name" value={v.name} error={e.name} required maxLength={100} />
              <Select name="market" label="Market" options={["RT", "DA"]} value={v.market ?? "RT"} error={e.market} />
              <Select
                name="combine"
                label="Fire when"
                options={[{ value: "any", label: "any condition holds" }, {
                  value: "all",
                  label: "all conditions hold",
                }]}
                value={v.combine ?? "any"}
                error={e.combine}
              />
            </div>
            <fieldset>
              <legend class="text-sm font-medium text-slate-700">Zones</legend>
              <div class="mt-1 flex flex-wrap gap-x-4 gap-y-1">
                {ISOS.map((z) => (
                  <Checkbox
                    key={z}
                    name={`zone_${z}`}
                    label={z}
                    checked={fresh ? z === "PJM" : v[`zone_${z}`] === "on"}
                  />
                ))}
              </div>
              {e.zones && <p class="text-sm text-red-600" data-field-error="zones">{e.zones}</p>}
            </fieldset>
            <fieldset class="space-y-2">
              <legend class="text-sm font-medium text-slate-700">Conditions</legend>
              {Array.from({ length: CONDITION_ROWS }, (_, i) => i + 1).map((i) => (
                <div key={i} class="grid gap-2 sm:grid-cols-2">
                  <Select
                    name={`c${i}_kind`}
                    label={`Condition ${i}`}
                    options={KIND_OPTIONS}
                    value={v[`c${i}_kind`] ?? (fresh && i === 1 ? "price_above" : "")}
                  />
                  <Field
                    name={`c${i}_value`}
                    label="Threshold"
                    inputmode="text"
                    value={v[`c${i}_value`] ?? (fresh && i === 1 ? "200" : "")}
                  />
                </div>
              ))}
              {e.conditions && <p class="text-sm text-red-600" data-field-error="conditions">{e.conditions}</p>}
            </fieldset>
            <div class="grid gap-4 sm:grid-cols-2">
              <Field
                name="hysteresis"
                label="Hysteresis"
                value={v.hysteresis ?? "5"}
                error={e.hysteresis}
                hint="How far back past the threshold before it can fire again ($/MWh, or z for spikes)."
              />
              <Field
                name="cooldown_min"
                label="Cooldown (minutes)"
                value={v.cooldown_min ?? "15"}
                error={e.cooldown_s}
                hint="No second firing within this time."
              />
            </div>
            <fieldset>
              <legend class="text-sm font-medium text-slate-700">Tell me by</legend>
              <div class="mt-1 flex flex-wrap gap-x-4 gap-y-1">
                {ALERT_CHANNELS.map((c) => (
                  <Checkbox
                    key={c}
                    name={`channel_${c}`}
                    label={c === "notification" ? "bell" : c === "email" ? "e-mail" : c}
                    checked={fresh ? c === "toast" || c === "notification" : v[`channel_${c}`] === "on"}
                  />
                ))}
              </div>
              {e.channels && <p class="text-sm text-red-600" data-field-error="channels">{e.channels}</p>}
            </fieldset>
            <Button>Save alert</Button>
          </form>
        </Card>
      )}

      <Card title="History">
        {data.history.length === 0
          ? <p class="text-sm text-slate-600">No alert has fired yet.</p>
          : (
            <div class="-mx-5 overflow-x-auto">
              <table class="w-full text-sm" data-testid="alert-history">
                <thead>
                  <tr class="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
                    <th class="px-5 py-2 font-medium">Fired (UTC)</th>
                    <th class="px-3 py-2 font-medium">Alert</th>
                    <th class="px-3 py-2 font-medium">Zone</th>
                    <th class="px-3 py-2 text-right font-medium">Price</th>
                  </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                  {data.history.map((h) => (
                    <tr key={h.id}>
                      <td class="whitespace-nowrap px-5 py-2 tabular-nums">
                        {h.fired_at.replace("T", " ").slice(0, 19)}
                      </td>
                      <td class="px-3 py-2">{h.alert_name}</td>
                      <td class="px-3 py-2">{h.zone} {h.market}</td>
                      <td class="px-3 py-2 text-right tabular-nums">${h.price.toFixed(2)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </Card>
    </div>
  );
});
