import { page } from "fresh";
import { z } from "zod";
import { Button, Card, type FieldErrors, Notice, Select } from "../../components/Form.tsx";
import { formObject, parseForm, redirect, signedIn } from "../../server/pages.ts";
import { type Preferences, preferencesSchema } from "../../services/auth/schemas.ts";
import { ISOS } from "../../services/market/zones.ts";
import {
  type Channel,
  CHANNELS,
  EVENT_LABELS,
  EVENT_TYPES,
  type EventType,
} from "../../services/notifications/events.ts";
import { preferencesOf, savePreferences } from "../../services/notifications/store.ts";
import { define } from "../../utils.ts";

interface Data {
  prefs: Preferences;
  channels: Record<EventType, Channel[]>;
  mailEnabled: boolean;
  errors: FieldErrors;
  saved: "display" | "channels" | null;
}

const CHANNEL_LABELS: Record<Channel, string> = { in_app: "In the app", email: "E-mail", toast: "Toast" };

/** The channel matrix's checkboxes are `ch.<event type>.<channel>`: every type is sent, ticked or not. */
function channelsOf(values: Record<string, string>): Record<EventType, Channel[]> {
  return Object.fromEntries(
    EVENT_TYPES.map((t) => [t, CHANNELS.filter((c) => values[`ch.${t}.${c}`] === "on")]),
  ) as Record<EventType, Channel[]>;
}

/** The zones users of US markets work in first; any IANA zone is accepted. */
const TIME_ZONES = [
  "America/New_York",
  "America/Chicago",
  "America/Denver",
  "America/Phoenix",
  "America/Los_Angeles",
  "UTC",
];

const form = z.object({
  time_zone: z.string(),
  default_zone: z.string(),
  energy: z.string(),
  price: z.string(),
}).transform((f, ctx) => {
  const r = preferencesSchema.safeParse({
    time_zone: f.time_zone,
    default_zone: f.default_zone,
    units: { energy: f.energy, price: f.price },
  });
  if (!r.success) {
    for (const i of r.error.issues) ctx.addIssue({ code: "custom", message: i.message, path: [String(i.path.at(-1))] });
    return z.NEVER;
  }
  return r.data;
});

export const handler = define.handlers({
  async GET(ctx) {
    const p = signedIn(ctx);
    const s = ctx.url.searchParams.get("saved");
    const saved = s === "1" ? "display" : s === "channels" ? "channels" : null;
    return page<Data>({
      prefs: await ctx.state.services.auth.profile.preferences(p.userId),
      channels: await preferencesOf(ctx.state.services.db(), { orgId: p.orgId, userId: p.userId }),
      mailEnabled: ctx.state.services.notifications.mailEnabled,
      errors: {},
      saved,
    });
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const { profile } = ctx.state.services.auth;
    const values = await formObject(ctx.req);
    const who = { orgId: p.orgId, userId: p.userId };
    if (values._action === "channels") {
      await savePreferences(ctx.state.services.db(), who, { preferences: channelsOf(values) });
      return redirect("/settings?saved=channels#notifications");
    }
    const parsed = parseForm(form, values);
    if (!parsed.ok) {
      const prefs = await profile.preferences(p.userId);
      const channels = await preferencesOf(ctx.state.services.db(), who);
      const mailEnabled = ctx.state.services.notifications.mailEnabled;
      return page<Data>({ prefs, channels, mailEnabled, errors: parsed.errors, saved: null }, { status: 400 });
    }
    await profile.update(p.userId, { preferences: parsed.data });
    // Redirect after post: a reload shows the page, it does not send the form again.
    return redirect("/settings?saved=1");
  },
});

export default define.page<typeof handler>(function Settings({ data }) {
  const { prefs, errors } = data;
  return (
    <div class="mx-auto max-w-3xl space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Settings</h1>
        <p class="mt-1 text-sm text-slate-600">
          How OptiBid shows times, markets and units to you, and how it tells you things.
        </p>
      </header>
      {data.saved === "display" && (
        <Notice kind="success">Settings saved. Times with no market and units follow them on every page.</Notice>
      )}
      <form method="post" class="space-y-6">
        <Card title="Display">
          <div class="grid gap-4 sm:grid-cols-2">
            <Select
              name="time_zone"
              label="Time zone"
              options={prefs.time_zone && !TIME_ZONES.includes(prefs.time_zone)
                ? [prefs.time_zone, ...TIME_ZONES]
                : TIME_ZONES}
              // What pages use until one is chosen: times with no market show in UTC, named.
              value={prefs.time_zone ?? "UTC"}
              error={errors.time_zone}
            />
            <Select
              name="default_zone"
              label="Default market"
              options={ISOS}
              value={prefs.default_zone ?? "PJM"}
              error={errors.default_zone}
            />
            <Select
              name="energy"
              label="Energy unit"
              options={["MWh", "kWh"]}
              value={prefs.units?.energy ?? "MWh"}
              error={errors.energy}
            />
            <Select
              name="price"
              label="Price unit"
              options={["$/MWh", "¢/kWh"]}
              value={prefs.units?.price ?? "$/MWh"}
              error={errors.price}
            />
          </div>
        </Card>
        <Button>Save settings</Button>
      </form>
      <form method="post" class="space-y-4" id="notifications">
        <input type="hidden" name="_action" value="channels" />
        {data.saved === "channels" && <Notice kind="success">Notification channels saved.</Notice>}
        <Card
          title="Notifications"
          description={`Per event, where you hear about it: the bell, e-mail${
            data.mailEnabled ? "" : " (this server has no mail server configured, so none is sent)"
          }, or a toast on the page you have open. Webhooks are set per organization by its admins (/webhooks).`}
        >
          <div class="-mx-5 overflow-x-auto">
            <table class="w-full text-sm" data-testid="channel-matrix">
              <thead>
                <tr class="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
                  <th class="px-5 py-2 font-medium">Event</th>
                  {CHANNELS.map((c) => <th key={c} class="px-3 py-2 text-center font-medium">{CHANNEL_LABELS[c]}</th>)}
                </tr>
              </thead>
              <tbody class="divide-y divide-slate-100">
                {EVENT_TYPES.map((t) => (
                  <tr key={t}>
                    <td class="px-5 py-2">{EVENT_LABELS[t]}</td>
                    {CHANNELS.map((c) => (
                      <td key={c} class="px-3 py-2 text-center">
                        <input
                          type="checkbox"
                          name={`ch.${t}.${c}`}
                          value="on"
                          checked={data.channels[t].includes(c)}
                          aria-label={`${EVENT_LABELS[t]}: ${CHANNEL_LABELS[c]}`}
                          class="h-4 w-4 rounded border-slate-300"
                        />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
        <Button>Save notification channels</Button>
      </form>
    </div>
  );
});
