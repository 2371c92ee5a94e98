import type { BidStatus } from "../services/bids/schema.ts";

const STYLES: Record<BidStatus, string> = {
  draft: "bg-slate-100 text-slate-700 ring-slate-500/20",
  pending_approval: "bg-violet-100 text-violet-800 ring-violet-600/20",
  submitted: "bg-brand-50 text-brand-700 ring-brand-600/20",
  rejected: "bg-rose-100 text-rose-800 ring-rose-600/20",
  cleared: "bg-emerald-100 text-emerald-800 ring-emerald-600/20",
  settled: "bg-teal-100 text-teal-800 ring-teal-600/20",
  withdrawn: "bg-amber-50 text-amber-800 ring-amber-600/20",
  expired: "bg-zinc-200 text-zinc-700 ring-zinc-500/20",
};

export function BidStatusBadge({ status }: { status: BidStatus }) {
  return (
    <span
      data-bid-status={status}
      class={`inline-flex items-center gap-1.5 whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ring-inset ${
        STYLES[status]
      }`}
    >
      <span aria-hidden="true" class="h-1.5 w-1.5 rounded-full bg-current" />
      {status === "pending_approval" ? "pending approval" : status}
    </span>
  );
}
