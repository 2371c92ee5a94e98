/** The admin section's own tabs (the main navigation links its first page). */
const TABS = [
  { href: "/admin/users", label: "Members" },
  { href: "/admin/audit", label: "Audit log" },
];

export function AdminNav({ current }: { current: string }) {
  return (
    <nav aria-label="Admin" class="border-b border-slate-200">
      <ul class="-mb-px flex gap-4">
        {TABS.map((t) => (
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
