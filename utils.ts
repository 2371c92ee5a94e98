import { createDefine } from "fresh";
import type { AppServices } from "./services/server/services.ts";

/** Per-request state shared by middleware, handlers and pages. */
export interface State {
  requestId: string;
  services: AppServices;
}

export const define = createDefine<State>();
