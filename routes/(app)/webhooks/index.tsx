import { page } from "fresh";
import type { FreshContext } from "fresh";
import { Button, Card, Checkbox, Field, type FieldErrors, Notice } from "../../../components/Form.tsx";
import { SecretBox } from "../../../components/SecretBox.tsx";
import { toHttpError } from "../../../server/errors.ts";
import { redirectWithSecret, takeSecret } from "../../../server/once_secret.ts";
import { formErrorsOf, formObject, parseForm, redirect, signedIn } from "../../../server/pages.ts";
import type { Principal } from "../../../services/auth/principal.ts";
import { EVENT_LABELS, EVENT_TYPES } from "../../../services/notifications/events.ts";
import { type AttemptView, webhookInput, type WebhookView } from "../../../services/notifications/schemas.ts";
import {
  attemptsPage,
  createWebhook,
  deleteWebhook,
  redeliver,
  rotateSecret,
  updateWebhook,
  webhooksPage,
} from "../../../services/notifications/webhooks.ts";
import { define, type State } from "../../../utils.ts";

interface Data {
  endpoints: (WebhookView & { attempts: AttemptView[] })[];
  errors: FieldErrors;
  values: Record<string, string>;
  secret?: string;
  notice?: string;
}

const DONE: Record<string, string> = {
  deleted: "Endpoint removed.",
  updated: "Endpoint updated.",
  redelivered: "Message queued for delivery again.",
};

async function load(ctx: FreshContext<State>, p: Principal, extra: Partial<Data> = {}): Promise<Data> {
  const db = ctx.state.services.db();
  const page_ = await webhooksPage(db, p.orgId, { limit: 50 });
  const endpoints = await Promise.all(
    page_.items.map(async (w) => ({ ...w, attempts: (await attemptsPage(db, p.orgId, w.id, { limit: 5 })).items })),
  );
  return { endpoints, errors: {}, values: {}, ...extra };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const secret = await takeSecret<string>(ctx, p, "webhook_secret");
    const notice = DONE[ctx.url.searchParams.get("done") ?? ""];
    return page<Data>(await load(ctx, p, { secret: secret.value, notice }), { headers: secret.headers });
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const s = ctx.state.services;
    const values = await formObject(ctx.req);
    const actor = { principal: p, ip: ctx.state.ip };
    const allowPrivate = s.config.webhooks.allowPrivate;
    try {
      const id = values.id ?? "";
      if (values._action !== "create" && !UUID.test(id)) {
        return page<Data>(await load(ctx, p, { errors: { _form: "No such endpoint" } }), { status: 400 });
      }
      switch (values._action) {
        case "delete":
          await deleteWebhook(s.db(), actor, id);
          return redirect("/webhooks?done=deleted");
        case "toggle":
          await updateWebhook(s.db(), actor, id, { enabled: values.enabled === "true" }, allowPrivate);
          return redirect("/webhooks?done=updated");
        case "rotate":
          return await redirectWithSecret(ctx, p, "webhook_secret", (await rotateSecret(s.db(), actor, id)).secret);
        case "redeliver":
          await redeliver(s.db(), actor, id, values.message_id ?? "");
          s.notifications.kick();
          return redirect("/webhooks?done=redelivered");
      }
      const input = {
        url: values.url ?? "",
        description: values.description || undefined,
        event_types: EVENT_TYPES.filter((t) => values[`type_${t}`] === "on"),
      };
      const parsed = parseForm(webhookInput, input as unknown as Record<string, string>);
      if (!parsed.ok) return page<Data>(await load(ctx, p, { errors: parsed.errors, values }), { status: 400 });
      const made = await createWebhook(s.db(), actor, parsed.data, allowPrivate);
      return await redirectWithSecret(ctx, p, "webhook_secret", made.secret);
    } catch (e) {
      return page<Data>(await load(ctx, p, { errors: formErrorsOf(e), values }), {
        status: toHttpError(e)?.status ?? 400,
      });
    }
  },
});

function Hidden(props: Record<string, string>) {
  return <>{Object.entries(props).map(([k, v]) => <input key={k} type="hidden" name={k} value={v} />)}</>;
}

export default define.page<typeof handler>(function Webhooks({ data }) {
  const e = data.errors;
  const v = data.values;
  return (
    <div class="mx-auto max-w-4xl space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Webhooks</h1>
        <p class="mt-1 text-sm text-slate-600">
          Your organization's events sent to your systems, signed as Standard Webhooks (webhook-id, webhook-timestamp,
          webhook-signature), retried for about a day when your endpoint fails.
        </p>
      </header>
      {data.notice && <Notice kind="success">{data.notice}</Notice>}
      {e._form && <Notice kind="error">{e._form}</Notice>}
      {data.secret && <SecretBox label="Signing secret" value={data.secret} testId="webhook-secret" />}

      <Card title={`Endpoints (${data.endpoints.length})`}>
        {data.endpoints.length === 0
          ? <p class="text-sm text-slate-600">No endpoints yet.</p>
          : (
            <ul class="-mx-5 divide-y divide-slate-100 border-t border-slate-200" data-testid="webhook-list">
              {data.endpoints.map((w) => (
                <li key={w.id} class="space-y-2 px-5 py-3">
                  <div class="flex flex-wrap items-start justify-between gap-3">
                    <div class="min-w-0">
                      <p class="break-all font-medium">{w.url}</p>
                      <p class="text-xs text-slate-500">
                        {w.enabled ? "enabled" : `disabled${w.disabled_reason ? `: ${w.disabled_reason}` : ""}`}
                        {" · "}
                        {w.event_types.join(", ")}
                        {w.failing_since && ` · failing since ${w.failing_since.slice(0, 16).replace("T", " ")} UTC`}
                      </p>
                    </div>
                    <div class="flex flex-wrap gap-2">
                      <form method="post">
                        <Hidden _action="toggle" id={w.id} enabled={w.enabled ? "false" : "true"} />
                        <Button variant="secondary">{w.enabled ? "Disable" : "Enable"}</Button>
                      </form>
                      <form method="post">
                        <Hidden _action="rotate" id={w.id} />
                        <Button variant="secondary">Rotate secret</Button>
                      </form>
                      <form method="post">
                        <Hidden _action="delete" id={w.id} />
                        <Button variant="danger">Delete</Button>
                      </form>
                    </div>
                  </div>
                  {w.attempts.length > 0 && (
                    <div class="overflow-x-auto">
                      <table class="w-full text-xs">
                        <tbody class="divide-y divide-slate-100">
                          {w.attempts.map((a) => (
                            <tr key={a.id}>
                              <td class="whitespace-nowrap py-1 pr-3 tabular-nums">
                                {a.at.slice(0, 19).replace("T", " ")}
                              </td>
                              <td class="py-1 pr-3">{a.event_type}</td>
                              <td class={`py-1 pr-3 ${a.ok ? "text-emerald-700" : "text-red-700"}`}>
                                {a.status_code ?? "—"} {a.error && !a.ok ? a.error : ""}
                              </td>
                              <td class="py-1 pr-3 tabular-nums">{a.duration_ms} ms</td>
                              <td class="py-1">
                                <form method="post">
                                  <Hidden _action="redeliver" id={w.id} message_id={a.message_id} />
                                  <button type="submit" class="text-brand-700 hover:underline">Send again</button>
                                </form>
                              </td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )}
      </Card>

      <Card title="New endpoint">
        <form method="post" class="space-y-4" data-testid="webhook-form">
          <input type="hidden" name="_action" value="create" />
          <Field name="url" label="URL" value={v.url} error={e.url} required hint="https:// on a public address" />
          <Field name="description" label="Description" value={v.description} error={e.description} />
          <fieldset>
            <legend class="text-sm font-medium text-slate-700">Events</legend>
            <div class="mt-1 grid gap-1 sm:grid-cols-2">
              {EVENT_TYPES.map((t) => (
                <Checkbox
                  key={t}
                  name={`type_${t}`}
                  label={`${EVENT_LABELS[t]} (${t})`}
                  checked={v[`type_${t}`] === "on"}
                />
              ))}
            </div>
            {e.event_types && <p class="text-sm text-red-600" data-field-error="event_types">{e.event_types}</p>}
          </fieldset>
          <Button>Add endpoint</Button>
        </form>
      </Card>
    </div>
  );
});
