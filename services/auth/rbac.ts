/**
 * The one permission matrix. Every route declares the permission it needs;
 * nothing else in the app decides what a role may do.
 */
export const ROLES = ["admin", "trader", "analyst", "viewer"] as const;
export type Role = typeof ROLES[number];

export const PERMISSIONS = [
  /** Any signed-in member: own profile, preferences, MFA, sessions. */
  "self",
  "org:read",
  "org:update",
  "users:read",
  "users:manage",
  "invitations:manage",
  "api_keys:manage",
  "audit:read",
  "market:read",
  "assets:read",
  "assets:write",
  "bids:read",
  "bids:write",
  /**
   * Approve or reject others' bids waiting for a second person (four-eyes). Admins have it by role; any
   * other member has it when an admin made them an approver (`memberships.approver`, see `canApprove`).
   */
  "bids:approve",
  /** Market and portfolio analytics (analysts and above). */
  "analytics:read",
  /** Price forecasts and the model registry (analysts and above). */
  "forecast:read",
  /** Run a forecast or a training now. */
  "forecast:write",
  /** Promote a model version to production, or roll back. */
  "models:promote",
  "admin:flags",
  /** The organization's usage per day, its CSV and the monthly billing overview. */
  "usage:read",
  /** The organization's webhook endpoints: they hold secrets and send its data out (admins). */
  "webhooks:manage",
  /** Make and change price alerts. */
  "alerts:write",
] as const;
export type Permission = typeof PERMISSIONS[number];

const READ: Permission[] = [
  "self",
  "org:read",
  "market:read",
  "assets:read",
  "bids:read",
];

export const MATRIX: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(PERMISSIONS),
  trader: new Set([
    ...READ,
    "users:read",
    "api_keys:manage",
    "assets:write",
    "bids:write",
    "analytics:read",
    "forecast:read",
    "alerts:write",
  ]),
  analyst: new Set([
    ...READ,
    "users:read",
    "api_keys:manage",
    "analytics:read",
    "forecast:read",
    "forecast:write",
    "alerts:write",
  ]),
  viewer: new Set(READ),
};

export function can(role: Role, permission: Permission): boolean {
  return MATRIX[role].has(permission);
}

/** The member as the approval rule needs it: a role, and the approver grant an admin may give. */
export interface ApproverCandidate {
  role: Role;
  approver?: boolean;
}

/** Whether `member` may approve bids: by role (admins), or by the `approver` grant on their membership. */
export function canApprove(member: ApproverCandidate): boolean {
  return can(member.role, "bids:approve") || member.approver === true;
}

/** What routes ask: the role's permission, or the approver grant for `bids:approve`. */
export function hasPermission(member: ApproverCandidate, permission: Permission): boolean {
  return permission === "bids:approve" ? canApprove(member) : can(member.role, permission);
}

/** Role permissions, plus `bids:approve` for a member granted it. */
export function permissionsOf(role: Role, approver = false): Permission[] {
  return PERMISSIONS.filter((p) => MATRIX[role].has(p) || (p === "bids:approve" && approver));
}

/** "No higher than": every permission of `role` is also one of `ceiling`'s. */
export function roleWithin(role: Role, ceiling: Role): boolean {
  for (const p of MATRIX[role]) if (!MATRIX[ceiling].has(p)) return false;
  return true;
}

/**
 * The widest role whose permissions both `a` and `b` have. Roles are not a ladder (trader and analyst each
 * have a write the other lacks), so "the lower of the two" does not exist; viewer is within every role.
 */
export function commonRole(a: Role, b: Role): Role {
  return ROLES.find((r) => roleWithin(r, a) && roleWithin(r, b)) ?? "viewer";
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}
