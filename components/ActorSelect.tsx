import { Select } from "./Form.tsx";

/** The audit filters' "who": a member of the organization, or anyone. */
export function ActorSelect(props: { members: { id: string; email: string }[]; value: string; error?: string }) {
  return (
    <Select
      name="actor"
      label="Actor"
      options={[{ value: "", label: "Anyone" }, ...props.members.map((m) => ({ value: m.id, label: m.email }))]}
      value={props.value}
      error={props.error}
    />
  );
}
