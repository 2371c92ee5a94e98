/**
 * kafkajs 2.2.4's request queue (one per broker connection) checks its pending requests after every answer and then
 * schedules the next check whether or not a request is pending: at `throttledUntil - Date.now()`, which unthrottled
 * is −1 − now, a delay the timers clamp to 1 ms (with a TimeoutNegativeWarning). So each open connection wakes the
 * process a thousand times a second for as long as it lives (tulios/kafkajs#1704, #1751; fixes proposed upstream, not
 * released). A check is only ever due when a request waits or the queue is throttled: a request that has to wait
 * schedules its own (`push`), and answers run a check themselves. The queue's other behaviour is left as it is.
 */
import RequestQueue from "kafkajs/src/network/requestQueue/index.js";

interface RequestQueueState {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const QUIETED = Symbol.for("optibid.kafkaRequestQueueQuieted");

/** Idempotent: the prototype is patched once per process. */
export function quietIdleRequestQueues(proto: RequestQueueState = RequestQueue.prototype): void {
  const marked = proto as RequestQueueState & { [QUIETED]?: true };
  if (marked[QUIETED]) return;
  const schedule = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function (this: RequestQueueState) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };
  marked[QUIETED] = true;
}

/** Whether the running kafkajs has the patch (for the adapter's test). */
export const requestQueuesQuieted = (): boolean =>
  (RequestQueue.prototype as unknown as { [QUIETED]?: true })[QUIETED] === true;
