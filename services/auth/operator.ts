/**
 * The platform operator: whoever runs this instance, named by OPERATOR_EMAILS. Not a role of
 * any organization, because what they see (every tenant's figures) is beyond all of them.
 */
import type { Principal } from "./principal.ts";

/**
 * The permission a route declares when only the platform operator may call it (what it touches spans
 * every organization). No role grants it: the API layer checks the caller against OPERATOR_EMAILS.
 */
export const OPERATOR_PERMISSION = "operator";

export function isOperator(p: Pick<Principal, "email" | "via"> | null | undefined, operatorEmails: string[]): boolean {
  // An API key acts for its organization, never for the person who made it.
  if (!p || p.via === "api_key" || !p.email) return false;
  return operatorEmails.includes(p.email.toLowerCase());
}

/** Who may see the instance's internals (health details): an organization admin or the operator. */
export function mayInspectInstance(
  p: Pick<Principal, "email" | "via" | "role"> | null | undefined,
  operatorEmails: string[],
): boolean {
  return !!p && (p.role === "admin" || isOperator(p, operatorEmails));
}
