/** The admin section's own tabs (the main navigation links its first page); platform admins see theirs too. */
const TABS = [
  { href: "/admin", label: "Overview" },
  { href: "/admin/users", label: "Members" },
  { href: "/admin/activity", label: "Activity" },
  { href: "/admin/audit", label: "Audit log" },
  { href: "/admin/usage", label: "Usage" },
  { href: "/admin/flags", label: "Features" },
];
const PLATFORM_TABS = [
  { href: "/admin/organizations", label: "Organizations" },
  { href: "/admin/system", label: "System" },
];

export function AdminNav({ current, operator = false }: { current: string; operator?: boolean }) {
  const tabs = operator ? [...TABS, ...PLATFORM_TABS] : TABS;
  return (
    <nav aria-label="Admin" class="overflow-x-auto border-b border-slate-200">
      <ul class="-mb-px flex gap-4 whitespace-nowrap">
        {tabs.map((t) => (
          <li key={t.href}>
            <a
              href={t.href}
              aria-current={t.href === current ? "page" : undefined}
              class={`inline-block border-b-2 px-1 pb-2 text-sm font-medium ${
                t.href === current
                  ? "border-brand-600 text-brand-700"
                  : "border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-800"
              }`}
            >
              {t.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
