/**
 * The document title of every page, from its path: where you are first, then OptiBid ("PJM Interconnection
 * market · OptiBid"), so tabs and history tell pages apart. One place, so no page is left saying only "OptiBid".
 */
import { resolveZone } from "../services/market/market_time.ts";
import { ZONES } from "../services/market/zones.ts";

const BY_PATH: Readonly<Record<string, string>> = {
  "/": "Dashboard",
  "/market": "Market",
  "/bidding": "Bidding",
  "/bidding/day": "Bid a day · Bidding",
  "/assets": "Assets",
  "/models": "Forecast models",
  "/analytics": "Analytics",
  "/approvals": "Approvals",
  "/strategies": "Strategies",
  "/settlements": "Settlements",
  "/admin": "Overview · Admin",
  "/admin/activity": "Activity · Admin",
  "/admin/flags": "Feature flags · Admin",
  "/admin/organizations": "Organizations · Admin",
  "/admin/system": "System · Admin",
  "/admin/usage": "Usage · Admin",
  "/admin/users": "Users · Admin",
  "/admin/audit": "Audit log · Admin",
  "/profile": "Profile",
  "/settings": "Settings",
  "/notifications": "Notifications",
  "/alerts": "Price alerts",
  "/webhooks": "Webhooks",
  "/login": "Sign in",
  "/logout": "Sign out",
  "/register": "Create an account",
  "/system-status": "System status",
};

export function pageTitle(pathname: string, status = 200): string {
  const where = status === 404
    ? "Page not found"
    : status === 503
    ? "Temporarily unavailable"
    : status >= 500
    ? "Something went wrong"
    : placeOf(pathname);
  return where ? `${where} · OptiBid` : "OptiBid";
}

function placeOf(pathname: string): string | null {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  if (BY_PATH[path]) return BY_PATH[path];
  const [, section, id] = path.split("/");
  if (section === "market" && id) {
    const zone = resolveZone(id);
    return zone ? `${ZONES[zone].name} market` : null;
  }
  if (section === "bidding" && id) return "Bid · Bidding";
  if (section === "assets" && id === "sites") return "Site · Assets";
  if (section === "assets" && id) return "Asset · Assets";
  if (section === "strategies" && id) return "Strategy · Strategies";
  if (section === "settlements" && id) return "Statement · Settlements";
  if (section === "admin" && id === "organizations") return "Organization · Admin";
  return null;
}
