import { createDefine } from "fresh";
import type { AppServices } from "./services/wiring.ts";
import type { Principal } from "./services/auth/principal.ts";

/** Per-request state shared by middleware, handlers and pages. */
export interface State {
  requestId: string;
  services: AppServices;
  /** The caller, when the request carries valid credentials (set by routes/_middleware.ts). */
  auth: Principal | null;
  /** Why credentials that were sent did not count (for the 401's code). */
  authError?: "invalid_token" | "expired_token";
  /** The client's address (X-Forwarded-For only from trusted proxies). */
  ip: string;
  /** Pages of an approver: how many bids wait for their decision (the count in the navigation). */
  pendingApprovals?: number;
  /** Pages: the features the caller's organization does not have (their navigation links are left out). */
  featuresOff?: readonly string[];
  /** The islands the client build has bundles for: without one, a page renders that part's no-JavaScript form. */
  clientIslands?: ReadonlySet<string>;
}

export const define = createDefine<State>();
