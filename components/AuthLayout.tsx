import type { ComponentChildren } from "preact";

/** The narrow centred card of the sign-in and sign-up pages. */
export function AuthCard(props: { title: string; subtitle?: ComponentChildren; children: ComponentChildren }) {
  return (
    <div class="mx-auto w-full max-w-md py-6 sm:py-10">
      <div class="rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200 sm:p-8">
        <h1 class="text-2xl font-bold tracking-tight">{props.title}</h1>
        {props.subtitle && <p class="mt-1 text-sm text-slate-600">{props.subtitle}</p>}
        <div class="mt-6">{props.children}</div>
      </div>
    </div>
  );
}
