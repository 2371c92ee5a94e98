import { requirePermission } from "../../../server/pages.ts";

// Promotion needs the platform operator too; the registry actions check that (server/models_http.ts).
export const handler = requirePermission({ read: "forecast:read", write: "models:promote" });
