import assert from "node:assert/strict";
import { z } from "zod";
import { assetInput } from "../../services/assets/schemas.ts";
import { type FieldLabels, fieldName, plainMessage } from "../../services/schemas/messages.ts";

/** The plain message of each field's first issue, as parseForm shows them. */
function messages(schema: z.ZodType, value: unknown, labels: FieldLabels = {}): Record<string, string> {
  const r = schema.safeParse(value);
  assert.ok(!r.success, "the value is refused");
  const out: Record<string, string> = {};
  for (const i of r.error.issues) out[String(i.path[0])] ??= plainMessage(i, String(i.path[0]), labels);
  return out;
}

Deno.test("fields are named as the form labels them, else from their key with its unit", () => {
  assert.deepEqual(fieldName("capacity_mw", { capacity_mw: "Capacity (MW)" }), { name: "Capacity", unit: "MW" });
  assert.deepEqual(fieldName("capacity_mw"), { name: "Capacity", unit: "MW" });
  assert.deepEqual(fieldName("energy_mwh", { energy_mwh: "Energy (MWh, storage)" }), { name: "Energy", unit: "MWh" });
  assert.deepEqual(fieldName("min_soc", { min_soc: "Min state of charge (0–1)" }), {
    name: "Min state of charge",
    unit: null,
  });
  assert.deepEqual(fieldName("energy_mwh"), { name: "Energy", unit: "MWh" });
  assert.deepEqual(fieldName("min_soc"), { name: "Min state of charge", unit: null });
  assert.deepEqual(fieldName("name", { name: "Asset name" }), { name: "Asset name", unit: null });
});

Deno.test("the asset form's issues in plain words, naming the field", () => {
  const site = "3f1c1f4e-4a6b-4c1e-9d6e-2b0c0a9f1e11";
  const labels = { name: "Asset name", capacity_mw: "Capacity (MW)", site_id: "Site" };
  assert.deepEqual(messages(assetInput, { site_id: site, name: "A", kind: "solar", capacity_mw: 0 }, labels), {
    capacity_mw: "Capacity must be more than 0 MW",
  });
  assert.deepEqual(messages(assetInput, { site_id: "x", name: "", kind: "solar", capacity_mw: 200_000 }, labels), {
    site_id: "Choose a site",
    name: "Asset name must not be empty",
    capacity_mw: "Capacity must be at most 100,000 MW",
  });
  const m = messages(assetInput, { site_id: site, name: "B", kind: "storage", capacity_mw: 10 }, labels);
  assert.equal(m.energy_mwh, "Energy is required for storage");
  assert.deepEqual(
    messages(assetInput, { site_id: site, name: "B", kind: "rocket", capacity_mw: undefined }, labels),
    { kind: "Kind must be one of: solar, wind, storage, thermal", capacity_mw: "Capacity is required" },
  );
  const storage = {
    site_id: site,
    name: "S",
    kind: "storage",
    capacity_mw: 10,
    energy_mwh: 40,
    charge_mw: 12,
    discharge_mw: 10,
    round_trip_efficiency: 0.9,
    min_soc: 0.9,
    max_soc: 0.1,
  };
  const s = messages(assetInput, storage, { ...labels, min_soc: "Minimum charge (%)", max_soc: "Maximum charge (%)" });
  assert.equal(s.charge_mw, "Charge cannot exceed capacity");
  assert.equal(s.min_soc, "Minimum charge must be below maximum charge");
});

Deno.test("zod's own wording never reaches a form", () => {
  const schema = z.object({ email: z.email(), count: z.number().int().min(1), note: z.string().max(3) });
  const m = messages(schema, { email: "nope", count: "x", note: "long" });
  assert.deepEqual(m, {
    email: "Email must be an email address",
    count: "Count must be a number",
    note: "Note must have at most 3 characters",
  });
  for (const text of Object.values(m)) assert.doesNotMatch(text, /Too (small|big)|Invalid input|expected/);
});
