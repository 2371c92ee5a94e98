import { requirePermission } from "../../../server/pages.ts";

export const handler = requirePermission({ read: "bids:read", write: "bids:write" });
