import { requirePermission } from "../../../server/pages.ts";

export const handler = requirePermission({ read: "market:read", write: "alerts:write" });
