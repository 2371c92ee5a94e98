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
  "analytics:read",
  /** Price forecasts and the model registry (analysts and above). */
  "forecast:read",
  /** Run a forecast or a training now. */
  "forecast:write",
  /** Promote a model version to production, or roll back. */
  "models:promote",
  "admin:flags",
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
  "analytics:read",
];

export const MATRIX: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(PERMISSIONS),
  trader: new Set([
    ...READ,
    "users:read",
    "api_keys:manage",
    "assets:write",
    "bids:write",
    "forecast:read",
    "alerts:write",
  ]),
  analyst: new Set([...READ, "users:read", "api_keys:manage", "forecast:read", "forecast:write", "alerts:write"]),
  viewer: new Set(READ),
};

export function can(role: Role, permission: Permission): boolean {
  return MATRIX[role].has(permission);
}

export function permissionsOf(role: Role): Permission[] {
  return PERMISSIONS.filter((p) => MATRIX[role].has(p));
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
