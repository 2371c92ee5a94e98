import { requireFeature } from "../../../server/features.ts";
import { requirePermission } from "../../../server/pages.ts";
import { define } from "../../../utils.ts";

// Promotion needs the platform operator too; the registry actions check that (server/models_http.ts).
// The registry belongs to the forecasts feature: off for the organization, the page does not exist.
export const handler = define.middleware([
  requirePermission({ read: "forecast:read", write: "models:promote" }),
  requireFeature("forecasts"),
]);
