/**
 * Per organization, a number this process moves whenever it changes a bid's status: what is read about bid
 * statuses per page view (the approvals count in the navigation) is cached under it, so a change made here
 * shows on the very next page, and a change made by another instance within the cache's short lifetime.
 */
const epochs = new Map<string, number>();

export function bidStatusesChanged(orgId: string): void {
  epochs.set(orgId, (epochs.get(orgId) ?? 0) + 1);
}

export function bidStatusEpoch(orgId: string): number {
  return epochs.get(orgId) ?? 0;
}
