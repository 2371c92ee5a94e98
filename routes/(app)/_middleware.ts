/**
 * Every page of the app needs a signed-in member. Pages at this level (profile, settings) are the
 * member's own ("self"); each folder below declares the permission its pages need in its _middleware.ts.
 */
import { navFeatures } from "../../server/features.ts";
import { countApprovals, requirePermission, requireSignIn } from "../../server/pages.ts";
import { define } from "../../utils.ts";

export const handler = define.middleware([
  requireSignIn,
  requirePermission({ read: "self", write: "self" }),
  countApprovals,
  navFeatures,
]);
