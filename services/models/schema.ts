/**
 * The model registry's shapes as clients see them (browser-safe: zod only). A model version is the
 * installation's, not an organization's: it forecasts public prices for everyone.
 */
import { z } from "zod";
import { text } from "../schemas/text.ts";

export const MODEL_STAGES = ["staging", "production", "archived"] as const;
export type ModelStage = typeof MODEL_STAGES[number];

/** A model's name: what the live job asks the production version of (e.g. `lear-ensemble`). */
export const modelName = text({ min: 1, max: 100 }).refine((s) => /^[A-Za-z0-9][\w.-]*$/.test(s), {
  message: "letters, digits, '.', '_' and '-' only, starting with a letter or digit",
});

/** Free-form JSON objects (params, training window, metrics), bounded so a row stays small. */
const jsonObject = z.record(z.string().max(100), z.unknown()).refine((o) => JSON.stringify(o).length <= 20_000, {
  message: "at most 20,000 characters as JSON",
});

/** Backtest metrics: numbers by name (MAE, rMAE, sMAPE, coverage, …), the ones the page shows among them. */
export const metricsSchema = z.record(z.string().max(100), z.number().finite()).refine(
  (o) => Object.keys(o).length <= 200,
  { message: "at most 200 metrics" },
);

export const modelSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  version: z.number().int(),
  stage: z.enum(MODEL_STAGES),
  params: z.record(z.string(), z.unknown()),
  training_window: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()),
  created_by: z.uuid().nullable(),
  created_by_name: z.string().nullable(),
  created_at: z.string(),
  stage_changed_at: z.string(),
}).meta({ id: "Model" });
export type ModelView = z.infer<typeof modelSchema>;

export const modelPageSchema = z.object({ items: z.array(modelSchema), next_cursor: z.string().nullable() });

export const modelListQuery = z.object({
  name: modelName.optional(),
  stage: z.enum(MODEL_STAGES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe("Page size, 1–200"),
  cursor: z.string().max(500).optional().describe("The previous page's `next_cursor`"),
});
export type ModelListQuery = z.infer<typeof modelListQuery>;

export const rollbackBody = z.object({ name: modelName }).strict();

/** What registering a version takes (the version number is the registry's: max + 1 for the name). */
export const registerInput = z.object({
  name: modelName,
  params: jsonObject,
  training_window: jsonObject.default({}),
  metrics: metricsSchema.default({}),
}).strict();
export type RegisterInput = z.input<typeof registerInput>;

/** The answer of promote and rollback: the version now in production and the one it replaced. */
export const stageChangeSchema = z.object({
  model: modelSchema,
  previous: modelSchema.nullable(),
  changed: z.boolean().describe("false when the version already was the production one (nothing changed)"),
}).meta({ id: "ModelStageChange" });
export type StageChange = z.infer<typeof stageChangeSchema>;
