import { requirePermission } from "../../../server/pages.ts";

/** The approval queue is for approvers (admins and members granted `approver`); the policy form asks for more. */
export const handler = requirePermission({ read: "bids:approve", write: "bids:approve" });
