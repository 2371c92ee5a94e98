/** What the model routes (API and the /models page) hand the registry actions from a request. */
import type { FreshContext } from "../framework/types.ts";
import { isOperator } from "../services/auth/operator.ts";
import type { Principal } from "../services/auth/principal.ts";
import type { ModelCaller, ModelDeps } from "../services/models/actions.ts";
import type { State } from "../utils.ts";
import { principal } from "./auth_http.ts";

export function modelDeps(ctx: FreshContext<State>): ModelDeps {
  const s = ctx.state.services;
  return { db: s.db(), kick: () => s.models.kick() };
}

export function modelCaller(ctx: FreshContext<State>, p: Principal = principal(ctx)): ModelCaller {
  return { principal: p, operator: isOperator(p, ctx.state.services.config.operatorEmails), ip: ctx.state.ip };
}
