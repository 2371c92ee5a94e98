import { requirePermission } from "../../../server/pages.ts";

export const handler = requirePermission({ read: "assets:read", write: "assets:write" });
