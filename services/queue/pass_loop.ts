/**
 * The loop every relay and background pass runs: a pass at start, on a kick, and every `everyMs`. Passes never
 * overlap (a kick during a pass runs one more after it, never two at once), and a pass that says there is more
 * to do (a full batch) is followed at once by another. Kicks within `kickDelayMs` are one pass: under load one
 * transaction carries the work of many commits.
 */
export interface PassLoop {
  /** The first pass, then one every `everyMs`. */
  start(): void;
  kick(): void;
  /** Runs a pass now (or joins the one running) and waits for it. */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

export function passLoop(opts: {
  /** One pass; true when more work is waiting now. */
  pass: () => Promise<boolean>;
  everyMs: number;
  kickDelayMs?: number;
  onError: (e: unknown) => void;
}): PassLoop {
  let timer: ReturnType<typeof setInterval> | undefined;
  let soon: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const run = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          while (!stopped && await opts.pass()) { /* more is due */ }
        } catch (e) {
          opts.onError(e);
        }
      } while (again && !stopped);
    })().finally(() => (running = null));
    return running;
  };
  return {
    start() {
      if (stopped || timer !== undefined) return;
      timer = setInterval(run, opts.everyMs);
      void run();
    },
    kick() {
      if (stopped) return;
      soon ??= setTimeout(() => {
        soon = undefined;
        void run();
      }, opts.kickDelayMs ?? 30);
    },
    runNow: run,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(soon);
      await running;
    },
  };
}
