/** A secret shown once (API key, invitation link, backup codes), with the warning that it will not be shown again. */
export function SecretBox(props: { label: string; value: string | string[]; testId?: string }) {
  const values = Array.isArray(props.value) ? props.value : [props.value];
  return (
    <div class="rounded-lg border border-amber-300 bg-amber-50 p-4" data-testid={props.testId}>
      <p class="text-sm font-semibold text-amber-900">{props.label}</p>
      <p class="mt-1 text-xs text-amber-800">Copy it now: it is not shown again.</p>
      <ul class={`mt-3 grid gap-1 ${values.length > 1 ? "grid-cols-2" : "grid-cols-1"}`}>
        {values.map((v) => (
          <li key={v}>
            <code class="block break-all rounded bg-white px-2 py-1 font-mono text-sm ring-1 ring-amber-200">{v}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}
