import { page } from "fresh";
import { z } from "zod";
import { Button, Card, Checkbox, type FieldErrors, Notice, Select } from "../../components/Form.tsx";
import { formObject, parseForm, redirect, signedIn } from "../../server/pages.ts";
import { type Preferences, preferencesSchema } from "../../services/auth/schemas.ts";
import { ISOS } from "../../services/market/zones.ts";
import { define } from "../../utils.ts";

interface Data {
  prefs: Preferences;
  errors: FieldErrors;
  saved: boolean;
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
  channel: z.string(),
  bid_cleared: z.literal("on").optional(),
  price_alerts: z.literal("on").optional(),
  daily_summary: z.literal("on").optional(),
}).transform((f, ctx) => {
  const r = preferencesSchema.safeParse({
    time_zone: f.time_zone,
    default_zone: f.default_zone,
    units: { energy: f.energy, price: f.price },
    notifications: {
      bid_cleared: f.bid_cleared === "on",
      price_alerts: f.price_alerts === "on",
      daily_summary: f.daily_summary === "on",
      channel: f.channel,
    },
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
    const saved = ctx.url.searchParams.get("saved") === "1";
    return page<Data>({ prefs: await ctx.state.services.auth.profile.preferences(p.userId), errors: {}, saved });
  },
  async POST(ctx) {
    const p = signedIn(ctx);
    const { profile } = ctx.state.services.auth;
    const parsed = parseForm(form, await formObject(ctx.req));
    if (!parsed.ok) {
      const prefs = await profile.preferences(p.userId);
      return page<Data>({ prefs, errors: parsed.errors, saved: false }, { status: 400 });
    }
    await profile.update(p.userId, { preferences: parsed.data });
    // Redirect after post: a reload shows the page, it does not send the form again.
    return redirect("/settings?saved=1");
  },
});

export default define.page<typeof handler>(function Settings({ data }) {
  const { prefs, errors } = data;
  const n = prefs.notifications ?? {};
  return (
    <div class="mx-auto max-w-3xl space-y-6">
      <header>
        <h1 class="text-2xl font-bold tracking-tight">Settings</h1>
        <p class="mt-1 text-sm text-slate-600">How OptiBid shows times, markets and units to you.</p>
      </header>
      {data.saved && (
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
        <Card title="Notifications">
          <div class="space-y-3">
            <Checkbox name="bid_cleared" label="When a bid clears or is rejected" checked={n.bid_cleared ?? true} />
            <Checkbox
              name="price_alerts"
              label="Price alerts for my default market"
              checked={n.price_alerts ?? false}
            />
            <Checkbox
              name="daily_summary"
              label="Daily summary of positions and settlements"
              checked={n.daily_summary ?? false}
            />
            <div class="max-w-xs">
              <Select
                name="channel"
                label="Deliver by"
                options={[{ value: "in_app", label: "In the app" }, { value: "email", label: "Email" }, {
                  value: "none",
                  label: "Don't notify",
                }]}
                value={n.channel ?? "in_app"}
                error={errors.channel}
              />
            </div>
          </div>
        </Card>
        <Button>Save settings</Button>
      </form>
    </div>
  );
});
