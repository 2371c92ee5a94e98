import { requirePermission } from "../../../server/pages.ts";

export const handler = requirePermission({ read: "users:manage", write: "users:manage" });
