import { requireFeature } from "../../../server/features.ts";
import { requirePermission } from "../../../server/pages.ts";
import { define } from "../../../utils.ts";

// Analysts and above (issue 16); the page only reads. Off for the organization, the page does not exist.
export const handler = define.middleware([
  requirePermission({ read: "analytics:read" }),
  requireFeature("analytics"),
]);
