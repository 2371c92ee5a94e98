import { requirePermission } from "../../../server/pages.ts";

export const handler = requirePermission({ read: "webhooks:manage", write: "webhooks:manage" });
