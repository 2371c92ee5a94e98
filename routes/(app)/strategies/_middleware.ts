import { requireFeature } from "../../../server/features.ts";
import { requirePermission } from "../../../server/pages.ts";
import { define } from "../../../utils.ts";

// Off for the organization, the strategies pages do not exist.
export const handler = define.middleware([
  requirePermission({ read: "bids:read", write: "bids:write" }),
  requireFeature("strategies"),
]);
