import NotificationBell from "../islands/NotificationBell.tsx";
import { BellIcon } from "./BellIcon.tsx";
import { can, type Role, ROLES } from "../services/auth/rbac.ts";

const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

/** The app's main navigation. Sections not built yet are shown, but not linked, so no link leads to a 404. */
export interface NavItem {
  href: string;
  label: string;
  available: boolean;
  /** Less used: under "More" in the desktop bar, so the bar fits a laptop's width. */
  more?: boolean;
}

export const NAV_ITEMS: NavItem[] = [
  { href: "/", label: "Dashboard", available: true },
  { href: "/market", label: "Market", available: true },
  { href: "/bidding", label: "Bidding", available: true },
  { href: "/assets", label: "Assets", available: true },
  { href: "/strategies", label: "Strategies", available: true },
  { href: "/approvals", label: "Approvals", available: true },
  { href: "/settlements", label: "Settlements", available: true, more: true },
  { href: "/analytics", label: "Analytics", available: true },
  { href: "/models", label: "Models", available: true, more: true },
  { href: "/alerts", label: "Alerts", available: true, more: true },
  { href: "/admin", label: "Admin", available: true, more: true },
  { href: "/system-status", label: "Status", available: true, more: true },
];

function isActive(item: NavItem, path: string): boolean {
  if (item.href === "/") return path === "/";
  const section = item.href.split("/").slice(0, 2).join("/");
  return path === item.href || path === section || path.startsWith(section + "/");
}

export interface NavUser {
  name: string;
  role: string;
  /** May approve bids: the Approvals link shows, with `pendingApprovals` waiting when known. */
  approver?: boolean;
  pendingApprovals?: number;
  /** Features the organization does not have: their sections are left out (server/features.ts navFeatures). */
  featuresOff?: readonly string[];
}

/** The feature flag a section belongs to: off for the organization, its link is not shown. */
const FEATURE_OF: Record<string, string> = { Analytics: "analytics", Models: "forecasts", Strategies: "strategies" };

function Links({ path, vertical, user }: { path: string; vertical?: boolean; user: NavUser | null }) {
  // Admin is for admins, Models for forecast readers, Analytics for analysts and above, Approvals for approvers;
  // everything else shows to all (pages ask for a login themselves) whose feature the organization has.
  const allowed = (p: "forecast:read" | "analytics:read") => !!user && isRole(user.role) && can(user.role, p);
  const items = NAV_ITEMS.filter((i) =>
    (i.label !== "Admin" || user?.role === "admin") &&
    (i.label !== "Approvals" || !!user?.approver) &&
    (i.label !== "Models" || allowed("forecast:read")) &&
    (i.label !== "Analytics" || !user || allowed("analytics:read")) &&
    !(FEATURE_OF[i.label] && user?.featuresOff?.includes(FEATURE_OF[i.label]))
  );
  const link = (item: NavItem) => (
    <li key={item.href}>
      {item.available
        ? (
          <a
            href={item.href}
            aria-current={isActive(item, path) ? "page" : undefined}
            class={`block rounded-md px-3 py-2 text-sm font-medium ${
              isActive(item, path) ? "bg-white/15 text-white" : "text-slate-300 hover:bg-white/10 hover:text-white"
            }`}
          >
            {item.label}
            {item.label === "Approvals" && user?.pendingApprovals
              ? (
                <span
                  data-testid="approvals-count"
                  aria-label={`${user.pendingApprovals} waiting`}
                  class="ml-1.5 rounded-full bg-amber-400 px-1.5 py-0.5 text-xs font-semibold text-brand-900"
                >
                  {user.pendingApprovals}
                </span>
              )
              : null}
          </a>
        )
        : (
          <span
            aria-disabled="true"
            title="Not available yet"
            class="block cursor-not-allowed rounded-md px-3 py-2 text-sm font-medium text-slate-500"
          >
            {item.label}
          </span>
        )}
    </li>
  );
  if (vertical) return <ul class="flex flex-col gap-1 py-2">{items.map(link)}</ul>;
  const more = items.filter((i) => i.more);
  const moreActive = more.some((i) => isActive(i, path));
  return (
    <ul class="flex items-center gap-1">
      {items.filter((i) => !i.more).map(link)}
      {more.length > 0 && (
        <li>
          <details class="relative">
            <summary
              class={`cursor-pointer list-none rounded-md px-3 py-2 text-sm font-medium ${
                moreActive ? "bg-white/15 text-white" : "text-slate-300 hover:bg-white/10 hover:text-white"
              }`}
            >
              More <span aria-hidden="true">▾</span>
            </summary>
            <div class="absolute left-0 z-20 mt-2 w-48 rounded-lg bg-brand-900 px-2 shadow-lg ring-1 ring-white/10">
              <ul class="flex flex-col gap-1 py-2">{more.map(link)}</ul>
            </div>
          </details>
        </li>
      )}
    </ul>
  );
}

function UserMenu({ user, path }: { user: NavUser | null; path: string }) {
  if (!user) {
    return (
      <a
        href={path === "/login" ? "/login" : `/login?next=${encodeURIComponent(path)}`}
        class="rounded-md bg-white/10 px-3 py-2 text-sm font-medium text-white hover:bg-white/20"
      >
        Sign in
      </a>
    );
  }
  return (
    <details class="relative">
      <summary
        class="flex cursor-pointer list-none items-center gap-2 rounded-md px-2 py-1.5 text-sm text-slate-200 hover:bg-white/10"
        data-testid="user-menu"
      >
        <span
          aria-hidden="true"
          class="flex h-7 w-7 items-center justify-center rounded-full bg-brand-500 text-xs font-semibold text-white"
        >
          {user.name.slice(0, 1).toUpperCase()}
        </span>
        <span class="hidden max-w-[10rem] truncate sm:inline">{user.name}</span>
      </summary>
      <div class="absolute right-0 z-20 mt-2 w-48 rounded-lg bg-white py-1 text-sm text-slate-700 shadow-lg ring-1 ring-slate-200">
        <p class="border-b border-slate-100 px-3 py-2 text-xs text-slate-500">
          Signed in as <span class="font-medium text-slate-700">{user.name}</span> ({user.role})
        </p>
        <a href="/profile" class="block px-3 py-2 hover:bg-slate-50">Profile</a>
        <a href="/settings" class="block px-3 py-2 hover:bg-slate-50">Settings</a>
        <form method="post" action="/logout">
          <button type="submit" class="block w-full px-3 py-2 text-left hover:bg-slate-50">Sign out</button>
        </form>
      </div>
    </details>
  );
}

/** The bell without JavaScript: a link to /notifications. */
function BellLink() {
  return (
    <a href="/notifications" aria-label="Notifications" class="rounded-md p-2 text-slate-200 hover:bg-white/10">
      <BellIcon />
    </a>
  );
}

/** `live`: island bundles exist, so the bell is the live one (islands/NotificationBell.tsx). */
export function NavBar({ path, user = null, live = false }: { path: string; user?: NavUser | null; live?: boolean }) {
  return (
    <header class="bg-brand-900 text-white shadow">
      <nav aria-label="Main" class="mx-auto flex max-w-7xl items-center justify-between gap-4 px-4 py-2">
        <a href="/" class="flex items-center gap-2 font-semibold tracking-tight">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <span class="text-lg">OptiBid</span>
        </a>
        <div class="hidden flex-1 lg:block">
          <Links path={path} user={user} />
        </div>
        {/* Phone and tablet widths: a disclosure menu that needs no JavaScript. */}
        <details class="relative lg:hidden">
          <summary class="cursor-pointer list-none rounded-md px-3 py-2 text-sm font-medium text-slate-200 hover:bg-white/10">
            Menu
          </summary>
          <div class="absolute right-0 z-20 mt-2 w-48 rounded-lg bg-brand-900 px-2 shadow-lg ring-1 ring-white/10">
            <Links path={path} vertical user={user} />
          </div>
        </details>
        <div class="flex items-center gap-1">
          {user && (live ? <NotificationBell /> : <BellLink />)}
          <UserMenu user={user} path={path} />
        </div>
      </nav>
    </header>
  );
}
