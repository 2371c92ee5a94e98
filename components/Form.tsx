/** Server-rendered form parts: labelled fields with their error beside them. Forms post without JavaScript. */
import type { ComponentChildren } from "preact";

export type FieldErrors = Record<string, string | undefined>;

export function Field(props: {
  name: string;
  label: string;
  type?: string;
  value?: string;
  error?: string;
  hint?: string;
  autocomplete?: string;
  required?: boolean;
  inputmode?: "numeric" | "text" | "email";
  maxLength?: number;
  minLength?: number;
  pattern?: string;
}) {
  const id = `f-${props.name}`;
  const described = [props.error ? `${id}-error` : "", props.hint ? `${id}-hint` : ""].filter(Boolean).join(" ");
  return (
    <div class="space-y-1">
      <label for={id} class="block text-sm font-medium text-slate-700">{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value}
        autocomplete={props.autocomplete}
        required={props.required}
        inputMode={props.inputmode}
        maxLength={props.maxLength}
        minLength={props.minLength}
        pattern={props.pattern}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={described || undefined}
        class={`block w-full rounded-md border px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 ${
          props.error
            ? "border-red-400 focus:border-red-500 focus:ring-red-200"
            : "border-slate-300 focus:border-brand-500 focus:ring-brand-100"
        }`}
      />
      {props.hint && <p id={`${id}-hint`} class="text-xs text-slate-500">{props.hint}</p>}
      {props.error && <p id={`${id}-error`} class="text-sm text-red-600" data-field-error={props.name}>{props.error}
      </p>}
    </div>
  );
}

export function Select(props: {
  name: string;
  label: string;
  options: readonly (string | { value: string; label: string })[];
  value?: string;
  error?: string;
  compact?: boolean;
}) {
  const id = `f-${props.name}`;
  return (
    <div class={props.compact ? "" : "space-y-1"}>
      <label for={id} class={props.compact ? "sr-only" : "block text-sm font-medium text-slate-700"}>
        {props.label}
      </label>
      <select
        id={id}
        name={props.name}
        aria-invalid={props.error ? "true" : undefined}
        class="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-100"
      >
        {props.options.map((o) => {
          const { value, label } = typeof o === "string" ? { value: o, label: o } : o;
          return <option key={value} value={value} selected={value === props.value}>{label}</option>;
        })}
      </select>
      {props.error && <p class="text-sm text-red-600" data-field-error={props.name}>{props.error}</p>}
    </div>
  );
}

export function Checkbox(props: { name: string; label: string; checked?: boolean }) {
  return (
    <label class="flex items-center gap-2 text-sm text-slate-700">
      <input
        type="checkbox"
        name={props.name}
        value="on"
        checked={props.checked}
        class="h-4 w-4 rounded border-slate-300"
      />
      {props.label}
    </label>
  );
}

export function Button(
  props: { children: ComponentChildren; variant?: "primary" | "secondary" | "danger"; name?: string; value?: string },
) {
  const styles = {
    primary: "bg-brand-600 text-white hover:bg-brand-700 focus:ring-brand-200",
    secondary: "bg-white text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50 focus:ring-brand-100",
    danger: "bg-white text-red-700 ring-1 ring-red-300 hover:bg-red-50 focus:ring-red-100",
  }[props.variant ?? "primary"];
  return (
    <button
      type="submit"
      name={props.name}
      value={props.value}
      class={`inline-flex items-center justify-center rounded-md px-4 py-2 text-sm font-semibold shadow-sm focus:outline-none focus:ring-2 ${styles}`}
    >
      {props.children}
    </button>
  );
}

/**
 * A destructive action on one row, as a form of its own so it works without JavaScript: posts
 * `_action` and the row's id under `field`.
 */
export function RowAction(props: { action: string; field: string; id: string; children: ComponentChildren }) {
  return (
    <form method="post">
      <input type="hidden" name="_action" value={props.action} />
      <input type="hidden" name={props.field} value={props.id} />
      <Button variant="danger">{props.children}</Button>
    </form>
  );
}

export function Notice(props: { kind: "error" | "success" | "info"; children: ComponentChildren }) {
  const styles = {
    error: "bg-red-50 text-red-800 ring-red-200",
    success: "bg-emerald-50 text-emerald-800 ring-emerald-200",
    info: "bg-brand-50 text-brand-900 ring-brand-100",
  }[props.kind];
  return (
    <div role={props.kind === "error" ? "alert" : "status"} class={`rounded-md px-4 py-3 text-sm ring-1 ${styles}`}>
      {props.children}
    </div>
  );
}

export function Card(props: { title: string; children: ComponentChildren; id?: string; description?: string }) {
  return (
    <section id={props.id} class="min-w-0 rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200">
      <h2 class="text-base font-semibold">{props.title}</h2>
      {props.description && <p class="mt-1 text-sm text-slate-600">{props.description}</p>}
      <div class="mt-4">{props.children}</div>
    </section>
  );
}
