import { requirePermission } from "../../../server/pages.ts";

// Analysts and above (issue 16); the page only reads.
export const handler = requirePermission({ read: "analytics:read" });
