/** The app's main navigation. Sections not built yet are shown, but not linked, so no link leads to a 404. */
export interface NavItem {
  href: string;
  label: string;
  available: boolean;
}

export const NAV_ITEMS: NavItem[] = [
  { href: "/", label: "Dashboard", available: true },
  { href: "/market", label: "Market", available: false },
  { href: "/bidding", label: "Bidding", available: false },
  { href: "/assets", label: "Assets", available: false },
  { href: "/analytics", label: "Analytics", available: false },
  { href: "/admin", label: "Admin", available: false },
  { href: "/system-status", label: "Status", available: true },
];

function isActive(item: NavItem, path: string): boolean {
  return item.href === "/" ? path === "/" : path === item.href || path.startsWith(item.href + "/");
}

function Links({ path, vertical }: { path: string; vertical?: boolean }) {
  return (
    <ul class={vertical ? "flex flex-col gap-1 py-2" : "flex items-center gap-1"}>
      {NAV_ITEMS.map((item) => (
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
      ))}
    </ul>
  );
}

export function NavBar({ path }: { path: string }) {
  return (
    <header class="bg-brand-900 text-white shadow">
      <nav aria-label="Main" class="mx-auto flex max-w-7xl items-center justify-between gap-4 px-4 py-2">
        <a href="/" class="flex items-center gap-2 font-semibold tracking-tight">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <span class="text-lg">OptiBid</span>
        </a>
        <div class="hidden md:block">
          <Links path={path} />
        </div>
        {/* Phone widths: a disclosure menu that needs no JavaScript. */}
        <details class="relative md:hidden">
          <summary class="cursor-pointer list-none rounded-md px-3 py-2 text-sm font-medium text-slate-200 hover:bg-white/10">
            Menu
          </summary>
          <div class="absolute right-0 z-20 mt-2 w-48 rounded-lg bg-brand-900 px-2 shadow-lg ring-1 ring-white/10">
            <Links path={path} vertical />
          </div>
        </details>
      </nav>
    </header>
  );
}
