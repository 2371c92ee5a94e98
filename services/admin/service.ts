/**
 * The admin capability wired to the app: feature flags, quotas and suspended organizations, each held
 * in memory per instance (so the request path asks nothing of the database) and reloaded when an admin
 * signal (signal.ts) says one changed anywhere — within a second on every instance — and every 30 s
 * besides, in case a signal was lost.
 */
import type { Redis } from "ioredis";
import type { Database } from "../../db/database.ts";
import type { Config } from "../config/env.ts";
import { errorMessage } from "../health/registry.ts";
import { log } from "../log/logger.ts";
import { evaluateFlag, type Flag, FLAG_DEFAULT, type FlagKey, type FlagSource } from "./flags.ts";
import { kvCounters, QuotaMeter, redisCounters } from "./meter.ts";
import { effectiveQuotas, type QuotaOverrides, type Quotas } from "./quotas.ts";
import { type AdminSignal, type AdminTopic, createAdminSignal } from "./signal.ts";
import { addUsage, loadFlags, loadQuotaOverrides } from "./store.ts";

const REFRESH_MS = 30_000;

export interface AdminDeps {
  config: Pick<Config, "redisUrl" | "redisKeyPrefix" | "serviceTimeoutMs" | "quotas">;
  instanceId: string;
  db: () => Database;
  kv: () => Deno.Kv;
  redis: () => Redis | null;
  /**
   * Who may do what changed (an organization was suspended or reactivated, or another instance said "auth"):
   * forget cached principals and profiles.
   */
  principalsChanged: () => void;
  /** Organizations just suspended: close their WebSocket connections on this instance. */
  closeConnections: (orgIds: ReadonlySet<string>) => void;
}

export interface EffectiveFlag {
  key: string;
  description: string;
  enabled: boolean;
  source: FlagSource;
}

export function createAdmin(deps: AdminDeps) {
  let flags = new Map<string, Flag>();
  let quotaOverrides = new Map<string, QuotaOverrides>();
  let suspended = new Set<string>();
  let loaded: Promise<void> | null = null;
  let isLoaded = false;
  let refreshTimer: ReturnType<typeof setInterval> | undefined;

  const meter = new QuotaMeter({
    limits: (orgId) => effectiveQuotas(quotaOverrides.get(orgId)),
    shared: () => (deps.config.redisUrl && deps.redis() ? redisCounters(deps.redis, deps.config.redisKeyPrefix)! : kv),
    writeUsage: (rows) => addUsage(deps.db(), rows),
  });
  const kv = kvCounters(deps.kv);
  const signal: AdminSignal = createAdminSignal({
    instanceId: deps.instanceId,
    kv: deps.kv,
    redisUrl: deps.config.redisUrl,
    publisher: deps.redis,
    channel: `${deps.config.redisKeyPrefix}admin`,
    timeoutMs: deps.config.serviceTimeoutMs,
  });

  async function loadSuspended(): Promise<void> {
    const rows = await deps.db().query<{ id: string }>(
      `SELECT id FROM organizations WHERE suspended_at IS NOT NULL`,
    );
    const next = new Set(rows.map((r) => r.id));
    const added = new Set([...next].filter((id) => !suspended.has(id)));
    const changed = added.size > 0 || [...suspended].some((id) => !next.has(id));
    suspended = next;
    if (changed) deps.principalsChanged();
    if (added.size) deps.closeConnections(added);
  }

  async function reload(topic?: AdminTopic): Promise<void> {
    // Nothing to load: what is cached about callers is read again when next asked for.
    if (topic === "auth") return deps.principalsChanged();
    const db = deps.db();
    const work: Promise<void>[] = [];
    if (!topic || topic === "flags") {
      work.push(loadFlags(db).then((list) => void (flags = new Map(list.map((f) => [f.key, f])))));
    }
    if (!topic || topic === "quotas") {
      work.push(
        loadQuotaOverrides(db).then((m) => {
          quotaOverrides = m;
          meter.reloadLimits();
        }),
      );
    }
    if (!topic || topic === "orgs") work.push(loadSuspended());
    await Promise.all(work);
    isLoaded = true;
  }

  function ensureLoaded(): Promise<void> {
    loaded ??= reload().catch((e) => {
      loaded = null;
      throw e;
    });
    return loaded;
  }

  return {
    meter,
    /** Whether quotas are metered on the request path (QUOTAS). */
    quotasOn: deps.config.quotas,
    start(): void {
      ensureLoaded().catch((e) => log.warn("admin settings not loaded yet", { error: errorMessage(e) }));
      signal.start((topic) => {
        reload(topic).catch((e) => log.warn("admin settings not reloaded", { topic, error: errorMessage(e) }));
      });
      refreshTimer = setInterval(() => void reload().catch(() => {}), REFRESH_MS);
      Deno.unrefTimer(refreshTimer);
      meter.start();
    },
    async stop(): Promise<void> {
      clearInterval(refreshTimer);
      signal.close();
      await meter.stop().catch(() => {});
    },
    /** After an admin change committed: this instance reloads now, the others on the signal. */
    async changed(topic: AdminTopic): Promise<void> {
      signal.publish(topic);
      await reload(topic);
    },
    /** Sessions, roles, users or profiles changed here (already forgotten here): tell the other instances. */
    authChanged(): void {
      signal.publish("auth");
    },
    /** Whether `orgId` has the feature. Sync once loaded; the very first call of a process may wait for the load. */
    featureEnabled(orgId: string, key: FlagKey): boolean | Promise<boolean> {
      if (!isLoaded) return ensureLoaded().then(() => evaluate(orgId, key));
      return evaluate(orgId, key);
    },
    async flagsFor(orgId: string): Promise<EffectiveFlag[]> {
      await ensureLoaded();
      return [...flags.values()].map((f) => ({ key: f.key, description: f.description, ...evaluateFlag(f, orgId) }));
    },
    async allFlags(): Promise<Flag[]> {
      await ensureLoaded();
      return [...flags.values()];
    },
    quotasOf(orgId: string): Quotas {
      return effectiveQuotas(quotaOverrides.get(orgId));
    },
    ownQuotas(orgId: string): QuotaOverrides | null {
      return quotaOverrides.get(orgId) ?? null;
    },
    /** Suspended as this instance last heard (the database decides at sign-in and principal lookups). */
    isSuspended(orgId: string): boolean {
      return suspended.has(orgId);
    },
  };

  function evaluate(orgId: string, key: FlagKey): boolean {
    const f = flags.get(key);
    return f ? evaluateFlag(f, orgId).enabled : FLAG_DEFAULT;
  }
}

export type AdminService = ReturnType<typeof createAdmin>;
