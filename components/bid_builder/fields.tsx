/** The builder's small form parts: a labelled control, the messages under a field, a radio card. */
import type { ComponentChildren } from "preact";

export function control(errors: string[] | undefined, padding = "px-3"): string {
  return `block w-full min-w-0 rounded-md border bg-white ${padding} py-2 text-sm shadow-sm focus:outline-none focus:ring-2 ${
    errors
      ? "border-red-400 focus:border-red-500 focus:ring-red-200"
      : "border-slate-300 focus:border-brand-500 focus:ring-brand-100"
  }`;
}

export function Labelled(
  props: { id: string; label: string; errors?: string[]; field: string; children: ComponentChildren },
) {
  return (
    <div class="min-w-0 space-y-1">
      <label for={props.id} class="block text-sm font-medium text-slate-700">{props.label}</label>
      {props.children}
      <FieldErrors id={`${props.id}-errors`} field={props.field} messages={props.errors} />
    </div>
  );
}

export function FieldErrors(props: { id: string; field: string; messages?: string[] }) {
  if (!props.messages?.length) return null;
  return (
    <ul id={props.id} class="space-y-0.5 text-xs text-red-600" data-field-error={props.field} aria-live="polite">
      {props.messages.map((m) => <li key={m}>{m}</li>)}
    </ul>
  );
}

export function Choice(props: {
  name: string;
  value: string;
  checked: boolean;
  disabled?: boolean;
  onChange: () => void;
  label: string;
  detail: string;
}) {
  return (
    <label
      class={`flex cursor-pointer items-center gap-2 rounded-md border px-3 py-2 text-sm ${
        props.checked ? "border-brand-500 bg-brand-50 ring-1 ring-brand-500" : "border-slate-300 bg-white"
      } ${props.disabled ? "cursor-not-allowed opacity-50" : "hover:border-brand-500"}`}
    >
      <input
        type="radio"
        name={props.name}
        value={props.value}
        checked={props.checked}
        disabled={props.disabled}
        onChange={props.onChange}
        class="h-4 w-4 accent-brand-600"
      />
      <span class="flex min-w-0 flex-col leading-tight sm:flex-row sm:items-baseline sm:gap-2">
        <span class="font-medium">{props.label}</span>
        <span class="truncate text-xs text-slate-500">{props.detail}</span>
      </span>
    </label>
  );
}
