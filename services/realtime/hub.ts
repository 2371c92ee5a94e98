/**
 * The realtime hub: fans committed price ticks and alerts out to WebSocket
 * subscribers (protocol in ./protocol.ts) and, through the bus, to the other
 * app instances.
 *
 * Fan-out is syscall-bound (docs/ARCHITECTURE.md, "Performance notes"): one send() per tick
 * per client tops out near 100–140k messages/s. So ticks are not sent as they
 * come: they collect in a window of `flushMs`, and each client gets at most one
 * `prices` frame per window (a window begins with the first tick after a quiet
 * spell, which is sent at once). Clients with the same subscription share one
 * serialised frame, so a flush costs about one send() per client. A flush
 * serves clients a chunk at a time so the event loop keeps writing and
 * answering meanwhile; a window that is due while one is still being sent
 * waits for it, so under load windows widen instead of piling up.
 *
 * A client whose socket backlog (`bufferedAmount`) is over `maxBufferedBytes`
 * is skipped; what it misses is merged into a per-client map keyed by
 * zone+market (so at most 14 ticks, however long it stalls), and sent as one
 * `coalesced` frame once it has drained. Memory per client is thus bounded by
 * about the limit plus one frame.
 */
import { setImmediate } from "node:timers";
import { log } from "../log/logger.ts";
import { memoReads } from "../memo.ts";
import { type Market, MARKETS, type PriceTick } from "../market/types.ts";
import { type Iso, ISOS } from "../market/zones.ts";
import { type BusMessage, createNullBus, type RealtimeBus } from "./bus.ts";
import {
  type AlertInput,
  type AlertMessage,
  clientMessageSchema,
  CLOSE_HEARTBEAT_MISSED,
  type ErrorMessage,
  HEARTBEAT_MS,
  MAX_CLIENT_FRAME_BYTES,
  parseZones,
  type ServerMessage,
} from "./protocol.ts";
import { PRICE_FIELDS, type PriceRow, priceRow } from "./rows.ts";

/** What the hub needs of a socket: Deno's server-side WebSocket, or a fake in unit tests. */
export interface HubSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
}

const OPEN = 1;

export interface HubOptions {
  /** Latest tick per zone+market from the cache, for snapshots of zones this instance has not seen yet. */
  latest?: (zones: Iso[]) => Promise<PriceTick[]>;
  bus?: RealtimeBus;
  instanceId?: string;
  /** Ticks are sent at most once per window of this many ms per client. */
  flushMs?: number;
  heartbeatMs?: number;
  /** Heartbeats in a row a client may leave unanswered before it is closed. */
  maxMissedHeartbeats?: number;
  /** Socket backlog above which a client is treated as slow and its updates are coalesced. */
  maxBufferedBytes?: number;
  /** Bound on `latest()` for a snapshot; past it the snapshot has what this instance knows. */
  snapshotTimeoutMs?: number;
  /** How often this instance tells the others its connections per organization (when they changed). */
  censusMs?: number;
  /** Audit notices of an organization within this many ms go out as one (a batch of bids is one refresh). */
  auditCoalesceMs?: number;
  /** How long one read of `latest` serves the snapshots of connections opening meanwhile (default 1 s). */
  snapshotShareMs?: number;
}

export interface ConnectionInfo {
  userId: string;
  orgId: string;
  /** The zones to start with; "all" is the /api/ws/prices default, which the first subscribe replaces. */
  zones: Iso[] | "all";
  /** Receives the organization's audit notices: only a connection its caller may read the audit log on. */
  audit?: boolean;
}

export interface HubStats {
  instance_id: string;
  started_at: string;
  connections: number;
  /** Connections subscribed to each zone. */
  subscriptions: Record<Iso, number>;
  /** Every frame sent: welcome, snapshot, prices, alert, heartbeat, pong, error. */
  messages_sent: number;
  /** `prices` frames sent. */
  frames_sent: number;
  /** Ticks published on this instance, and received from other instances. */
  ticks_published: number;
  ticks_from_peers: number;
  /** Ticks put into frames (one tick to two clients counts twice). */
  ticks_delivered: number;
  /** Ticks replaced by a later one for the same key before they were sent (in a window or for a slow client). */
  ticks_coalesced: number;
  /** Times a slow client was skipped in a window (its updates kept for later, coalesced). */
  frames_deferred: number;
  /** Frames not sent at all: control frames to a client far over its backlog, admin prices to a slow client. */
  frames_dropped: number;
  /** Clients now over their backlog limit. */
  slow_clients: number;
  /** Highest socket backlog seen when deciding whether to send (bytes). */
  max_buffered_bytes: number;
  alerts_published: number;
  /** Connections closed for missed heartbeats. */
  dead_closed: number;
  flush_window_ms: number;
  /** Flushes run, and the time spent in them (serialising and send() calls): the fan-out's CPU cost. */
  flushes: number;
  flush_busy_ms: number;
  /**
   * Over the last 1,024 windows with ticks: ms from the oldest tick's publish time to the window's last
   * send() — how stale updates are when they leave this instance (the network and the client add the rest).
   */
  window_age_ms: { p50: number; p99: number; max: number };
  bus: ReturnType<RealtimeBus["stats"]>;
}

/** One organization's share of this instance: what its admin may see (HubStats is the operator's). */
export interface OrgHubStats {
  instance_id: string;
  started_at: string;
  organization_id: string;
  connections: number;
  subscriptions: Record<Iso, number>;
  slow_clients: number;
  /** Since this instance started, to the organization's connections (closed ones included). */
  messages_sent: number;
  frames_sent: number;
  ticks_delivered: number;
}

interface OrgCounters {
  messages: number;
  frames: number;
  delivered: number;
}

interface Client {
  id: string;
  socket: HubSocket;
  userId: string;
  orgId: string;
  audit: boolean;
  /** Its organization's sending counters (shared by the organization's connections), for OrgHubStats. */
  orgCounters: OrgCounters;
  zones: Set<Iso>;
  /** On the "every zone" default of /api/ws/prices, which the first subscribe replaces. */
  allByDefault: boolean;
  /** The subscription as a string: clients with the same one share a serialised frame. */
  sig: string;
  /** Updates held back while slow: latest tick per zone+market. */
  pending: Map<string, PriceTick> | null;
  pendingSince: number;
  pendingAlerts: AlertMessage[];
  /** Held-back admin (organization) prices: the newest per zone+market, sent marked as admin on catch-up. */
  pendingAdmin: Map<string, PriceTick> | null;
  awaitingPong: boolean;
  /** Messages in the current rate window, and when it began. */
  inbound: number;
  inboundSince: number;
  missed: number;
  open: boolean;
}

/** The window being sent: ticks grouped by zone, and the frames serialised so far, by subscription. */
interface FlushWindow {
  openedAt: number;
  byZone: Map<Iso, PriceTick[]>;
  orgByZone: Map<string, Map<Iso, PriceTick[]>>;
  frames: Map<string, { text: string; n: number } | null>;
}

/** A peer whose census is older than this many periods has gone away (it sends one every few periods at least). */
const CENSUS_TTL_PERIODS = 5;
const MAX_PENDING_ALERTS = 16;
/** How long one read of the latest prices serves the snapshots of connections that open meanwhile. */
const SNAPSHOT_SHARED_MS = 1_000;

/** Messages a client may send per window; the rest are ignored (a UI sends a handful). */
const INBOUND_LIMIT = 50;
const INBOUND_WINDOW_MS = 10_000;
/** Clients served per turn of the event loop during a flush. */
const FLUSH_CHUNK = 250;
/** Control frames (errors, pongs, alerts) are dropped past this multiple of the backlog limit. */
const CONTROL_BACKLOG_FACTOR = 4;

function tickKey(t: PriceTick): string {
  return `${t.zone}|${t.market}`;
}

/** Newer interval wins; at the same interval the later arrival does. */
function newerOrSame(a: PriceTick, than: PriceTick): boolean {
  return Date.parse(a.interval_start) >= Date.parse(than.interval_start);
}

export class RealtimeHub {
  readonly instanceId: string;
  readonly #bus: RealtimeBus;
  readonly #latest: ((zones: Iso[]) => Promise<PriceTick[]>) | undefined;
  readonly #flushMs: number;
  readonly #heartbeatMs: number;
  readonly #maxMissed: number;
  readonly #maxBuffered: number;
  readonly #snapshotTimeoutMs: number;
  readonly #startedAt = new Date().toISOString();

  readonly #clients = new Set<Client>();
  /** The fast path for snapshots: the newest tick per zone+market this instance has seen. */
  readonly #last = new Map<string, PriceTick>();
  /**
   * The cache's latest prices for zones this instance has not seen, one read shared by the connections of a
   * moment: after a restart every client reconnects at once, and each read the cache (and, on a miss, the
   * database) for the same prices — most of the memory a connect burst left behind. Newer ticks than the
   * shared read still reach each snapshot from what this instance has seen since.
   */
  readonly #latestShared: ReturnType<typeof memoReads<PriceTick[]>>;
  /** The open window: ticks by zone|market|interval, so a later one for the same interval replaces the earlier. */
  #window = new Map<string, PriceTick>();
  /** Admin-posted prices of the window, per organization. */
  #orgWindows = new Map<string, Map<string, PriceTick>>();
  #windowOpenedAt = 0;
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  #flushAt = 0;
  /** When the last flush began (performance.now()): the next may begin one window after it. */
  #lastFlushAt = -Infinity;
  #flushing = false;
  #flushAgain = false;
  readonly #ages = new Float64Array(1024);
  #agesNext = 0;
  #heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  #censusTimer: ReturnType<typeof setInterval> | null = null;
  readonly #censusMs: number;
  #lastCensus = "{}";
  #censusQuiet = 0;
  /** Other instances' last census, by instance id. */
  readonly #peers = new Map<string, { counts: Record<string, number>; at: number }>();
  #slow = 0;
  /** Organizations with audit notices waiting for the end of their coalescing window. */
  readonly #auditPending = new Set<string>();
  #auditTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #auditCoalesceMs: number;
  #started = false;
  #closed = false;
  #seq = 0;

  #c = {
    messages: 0,
    frames: 0,
    published: 0,
    fromPeers: 0,
    delivered: 0,
    coalesced: 0,
    deferred: 0,
    dropped: 0,
    maxBuffered: 0,
    alerts: 0,
    deadClosed: 0,
    flushes: 0,
    flushMs: 0,
  };
  /** The sending counters again, per organization (the key connections carry), for OrgHubStats. */
  readonly #orgCounters = new Map<string, OrgCounters>();

  constructor(opts: HubOptions = {}) {
    this.instanceId = opts.instanceId ?? crypto.randomUUID().slice(0, 8);
    this.#bus = opts.bus ?? createNullBus();
    this.#latest = opts.latest;
    this.#flushMs = opts.flushMs ?? 15;
    this.#heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
    this.#maxMissed = opts.maxMissedHeartbeats ?? 2;
    this.#maxBuffered = opts.maxBufferedBytes ?? 256 * 1024;
    this.#snapshotTimeoutMs = opts.snapshotTimeoutMs ?? 2_000;
    this.#latestShared = memoReads<PriceTick[]>(opts.snapshotShareMs ?? SNAPSHOT_SHARED_MS, 2 ** ISOS.length);
    this.#censusMs = opts.censusMs ?? 2_000;
    this.#auditCoalesceMs = opts.auditCoalesceMs ?? 100;
  }

  /** Starts the heartbeat and the bus (in the background: the bus never delays start-up). */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#bus.start((msg) => this.#fromPeer(msg));
    this.#heartbeatTimer = setInterval(() => this.#heartbeat(), this.#heartbeatMs);
    // Idle timers must not keep a test or a CLI process alive.
    Deno.unrefTimer(this.#heartbeatTimer);
    this.#censusTimer = setInterval(() => this.#census(), this.#censusMs);
    Deno.unrefTimer(this.#censusTimer);
  }

  /**
   * Open connections of an organization on every instance: this one's exact count plus what the others
   * last said (within a few census periods). Between two censuses instances admitting at once can pass a
   * quota by what they admit in that moment; the next connection after it is refused everywhere.
   */
  clusterConnectionsOf(orgId: string): number {
    let n = this.connectionsOf(orgId);
    const now = Date.now();
    for (const [instance, peer] of this.#peers) {
      if (now - peer.at > this.#censusMs * CENSUS_TTL_PERIODS) this.#peers.delete(instance);
      else n += peer.counts[orgId] ?? 0;
    }
    return n;
  }

  /** This instance's counts to the others: when they changed, and every few periods as a sign of life. */
  #census(): void {
    if (this.#closed) return;
    const counts: Record<string, number> = {};
    for (const c of this.#clients) counts[c.orgId] = (counts[c.orgId] ?? 0) + 1;
    const text = JSON.stringify(counts);
    if (text === this.#lastCensus && ++this.#censusQuiet < CENSUS_TTL_PERIODS - 1) return;
    this.#lastCensus = text;
    this.#censusQuiet = 0;
    this.#bus.publish({ kind: "census", instance: this.instanceId, counts });
  }

  /** Committed ticks: to this instance's subscribers and to the other instances. */
  publishPrices(ticks: PriceTick[], opts: { orgId?: string } = {}): void {
    if (this.#closed || ticks.length === 0) return;
    const at = Date.now();
    this.#c.published += ticks.length;
    this.#ingest(ticks, at, opts.orgId);
    this.#bus.publish({ kind: "prices", ticks, published_at: at, ...(opts.orgId ? { org: opts.orgId } : {}) });
  }

  /** An alert as a toast on every client (of one organization when `orgId` is given), on every instance. */
  publishAlert(
    alert: AlertInput,
    opts: { orgId?: string; source?: "admin"; userId?: string; notification?: AlertMessage["notification"] } = {},
  ): AlertMessage {
    const msg: AlertMessage = {
      type: "alert",
      id: crypto.randomUUID(),
      level: alert.level,
      title: alert.title,
      message: alert.message,
      at: new Date().toISOString(),
      ...(opts.source ? { source: opts.source } : {}),
      ...(opts.notification ? { notification: opts.notification } : {}),
    };
    if (this.#closed) return msg;
    this.#c.alerts++;
    this.#alertLocal(msg, opts.orgId, opts.userId);
    this.#bus.publish({
      kind: "alert",
      alert: msg,
      ...(opts.orgId ? { org: opts.orgId } : {}),
      ...(opts.userId ? { user: opts.userId } : {}),
    });
    return msg;
  }

  /**
   * The organization has new audit entries (committed): its audit connections here and on every instance
   * are told, at most once per coalescing window, whatever the number of entries in it.
   */
  publishAudit(orgId: string): void {
    if (this.#closed) return;
    this.#auditPending.add(orgId);
    if (this.#auditTimer !== null) return;
    this.#auditTimer = setTimeout(() => {
      this.#auditTimer = null;
      const orgs = [...this.#auditPending];
      this.#auditPending.clear();
      for (const org of orgs) {
        this.#auditLocal(org);
        this.#bus.publish({ kind: "audit", org });
      }
    }, this.#auditCoalesceMs);
  }

  #auditLocal(orgId: string): void {
    const text = JSON.stringify({ type: "audit", at: new Date().toISOString() } satisfies ServerMessage);
    // Tenant and permission: only this organization's connections opened with audit:read. One far behind is
    // skipped, not queued (#control); its feed catches up on its next refresh.
    for (const c of this.#clients) if (c.audit && c.orgId === orgId) this.#control(c, text);
  }

  /** The newest tick per zone+market this instance has seen (the stand-in for the latest-price cache). */
  lastSeen(zones: readonly Iso[] = ISOS): PriceTick[] {
    const out: PriceTick[] = [];
    for (const z of zones) {
      for (const m of MARKETS) {
        const t = this.#last.get(`${z}|${m}`);
        if (t) out.push(t);
      }
    }
    return out;
  }

  /** Takes over an upgraded socket. The welcome goes out as soon as it opens. */
  accept(socket: HubSocket, info: ConnectionInfo): void {
    const all = info.zones === "all";
    const client: Client = {
      id: `${this.instanceId}-${(++this.#seq).toString(36)}`,
      socket,
      userId: info.userId,
      orgId: info.orgId,
      audit: info.audit === true,
      orgCounters: this.#countFor(info.orgId),
      zones: new Set(all ? ISOS : info.zones as Iso[]),
      allByDefault: all,
      sig: "",
      pending: null,
      pendingSince: 0,
      pendingAlerts: [],
      pendingAdmin: null,
      awaitingPong: false,
      inbound: 0,
      inboundSince: 0,
      missed: 0,
      open: false,
    };
    client.sig = sigOf(client.zones);
    socket.onopen = () => this.#open(client);
    socket.onmessage = (ev) => this.#onMessage(client, ev.data);
    socket.onclose = () => this.#drop(client);
    socket.onerror = () => {};
    if (socket.readyState === OPEN) this.#open(client);
  }

  stats(): HubStats {
    const subscriptions = Object.fromEntries(ISOS.map((z) => [z, 0])) as Record<Iso, number>;
    for (const c of this.#clients) for (const z of c.zones) subscriptions[z]++;
    const c = this.#c;
    return {
      instance_id: this.instanceId,
      started_at: this.#startedAt,
      connections: this.#clients.size,
      subscriptions,
      messages_sent: c.messages,
      frames_sent: c.frames,
      ticks_published: c.published,
      ticks_from_peers: c.fromPeers,
      ticks_delivered: c.delivered,
      ticks_coalesced: c.coalesced,
      frames_deferred: c.deferred,
      frames_dropped: c.dropped,
      slow_clients: this.#slow,
      max_buffered_bytes: c.maxBuffered,
      alerts_published: c.alerts,
      dead_closed: c.deadClosed,
      flush_window_ms: this.#flushMs,
      flushes: c.flushes,
      flush_busy_ms: Math.round(c.flushMs),
      window_age_ms: this.#windowAges(),
      bus: this.#bus.stats(),
    };
  }

  orgStats(orgId: string): OrgHubStats {
    const subscriptions = Object.fromEntries(ISOS.map((z) => [z, 0])) as Record<Iso, number>;
    let connections = 0;
    let slow = 0;
    for (const c of this.#clients) {
      if (c.orgId !== orgId) continue;
      connections++;
      if (c.pending) slow++;
      for (const z of c.zones) subscriptions[z]++;
    }
    const n = this.#orgCounters.get(orgId);
    return {
      instance_id: this.instanceId,
      started_at: this.#startedAt,
      organization_id: orgId,
      connections,
      subscriptions,
      slow_clients: slow,
      messages_sent: n?.messages ?? 0,
      frames_sent: n?.frames ?? 0,
      ticks_delivered: n?.delivered ?? 0,
    };
  }

  #countFor(orgId: string): OrgCounters {
    let n = this.#orgCounters.get(orgId);
    if (!n) {
      n = { messages: 0, frames: 0, delivered: 0 };
      this.#orgCounters.set(orgId, n);
    }
    return n;
  }

  #windowAges(): HubStats["window_age_ms"] {
    const n = Math.min(this.#agesNext, this.#ages.length);
    if (n === 0) return { p50: 0, p99: 0, max: 0 };
    const sorted = this.#ages.slice(0, n).sort();
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))];
    return { p50: at(0.5), p99: at(0.99), max: sorted[n - 1] };
  }

  /** Closes every connection (1001: going away, so clients reconnect elsewhere) and the bus. */
  async close(): Promise<void> {
    if (this.#closed) return;
    // The others stop counting this instance's connections at once, not when its census runs out.
    if (this.#started && this.#lastCensus !== "{}") {
      this.#bus.publish({ kind: "census", instance: this.instanceId, counts: {} });
    }
    this.#closed = true;
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    if (this.#heartbeatTimer !== null) clearInterval(this.#heartbeatTimer);
    if (this.#censusTimer !== null) clearInterval(this.#censusTimer);
    if (this.#auditTimer !== null) clearTimeout(this.#auditTimer);
    this.#auditTimer = null;
    this.#flushTimer = this.#heartbeatTimer = null;
    for (const c of this.#clients) {
      try {
        c.socket.close(1001, "server shutting down");
      } catch { /* already closed */ }
    }
    this.#clients.clear();
    await this.#bus.close();
  }

  // ---- connections

  #open(c: Client): void {
    if (c.open || this.#closed) return;
    c.open = true;
    this.#clients.add(c);
    this.#sendNow(c, {
      type: "welcome",
      connection_id: c.id,
      instance_id: this.instanceId,
      server_time: new Date().toISOString(),
      heartbeat_ms: this.#heartbeatMs,
      zones: [...c.zones],
      markets: [...MARKETS],
      price_fields: PRICE_FIELDS,
    });
    this.#snapshot(c, [...c.zones]);
  }

  /** The organizations' connections end (suspended): 4403, which clients take as "do not reconnect". */
  closeOrganizations(orgIds: ReadonlySet<string>): number {
    let n = 0;
    for (const c of [...this.#clients]) {
      if (!orgIds.has(c.orgId)) continue;
      n++;
      try {
        c.socket.close(4403, "organization suspended");
      } catch {
        // already closing
      }
      this.#drop(c);
    }
    return n;
  }

  /** Open connections of one organization on this instance (its WebSocket quota). */
  connectionsOf(orgId: string): number {
    let n = 0;
    for (const c of this.#clients) if (c.orgId === orgId) n++;
    return n;
  }

  #drop(c: Client): void {
    if (!c.open) return;
    c.open = false;
    if (c.pending) this.#slow--;
    c.pending = null;
    c.pendingAdmin = null;
    this.#clients.delete(c);
  }

  #onMessage(c: Client, data: unknown): void {
    // Any frame is a sign of life.
    c.awaitingPong = false;
    c.missed = 0;
    // Each subscribe costs a snapshot (maybe a cache read): a client gets a budget, and one error past it.
    const now = performance.now();
    if (now - c.inboundSince > INBOUND_WINDOW_MS) {
      c.inboundSince = now;
      c.inbound = 0;
    }
    if (++c.inbound > INBOUND_LIMIT) {
      if (c.inbound === INBOUND_LIMIT + 1) {
        this.#error(c, "rate_limited", `At most ${INBOUND_LIMIT} messages per ${INBOUND_WINDOW_MS / 1000} s`);
      }
      return;
    }
    if (typeof data !== "string") {
      return this.#error(c, "invalid_message", "Send JSON text frames; binary frames are not accepted");
    }
    if (data.length > MAX_CLIENT_FRAME_BYTES) {
      return this.#error(c, "message_too_large", `A message may be at most ${MAX_CLIENT_FRAME_BYTES} bytes`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch {
      return this.#error(c, "invalid_json", "The message is not valid JSON");
    }
    const parsed = clientMessageSchema.safeParse(raw);
    if (!parsed.success) {
      return this.#error(
        c,
        "invalid_message",
        "The message does not match the protocol: " +
          parsed.error.issues.map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`).join("; "),
        parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code })),
      );
    }
    const msg = parsed.data;
    switch (msg.type) {
      case "ping":
        return this.#control(c, { type: "pong", ts: Date.now(), ...(msg.id !== undefined ? { id: msg.id } : {}) });
      case "pong":
        return;
      case "subscribe":
      case "unsubscribe": {
        const { zones, unknown } = parseZones(msg.zones);
        if (unknown.length) {
          return this.#error(c, "unknown_zone", `Unknown zone: ${unknown.join(", ")}. Zones: ${ISOS.join(", ")}`, {
            unknown,
            zones: ISOS,
          });
        }
        if (msg.type === "subscribe") {
          if (c.allByDefault) c.zones.clear();
          for (const z of zones) c.zones.add(z);
        } else {
          for (const z of zones) c.zones.delete(z);
          // Held-back updates of zones no longer wanted must not be sent later.
          for (const held of [c.pending, c.pendingAdmin]) {
            if (held) { for (const [k, t] of held) if (!c.zones.has(t.zone)) held.delete(k); }
          }
        }
        c.allByDefault = false;
        c.sig = sigOf(c.zones);
        this.#control(c, { type: "subscribed", zones: ISOS.filter((z) => c.zones.has(z)) });
        if (msg.type === "subscribe") this.#snapshot(c, zones);
        return;
      }
    }
  }

  #error(c: Client, code: ErrorMessage["code"], message: string, details?: unknown): void {
    this.#control(c, { type: "error", code, message, ...(details !== undefined ? { details } : {}) });
  }

  #heartbeat(): void {
    const ts = Date.now();
    const text = JSON.stringify({ type: "heartbeat", ts });
    for (const c of [...this.#clients]) {
      if (c.awaitingPong && ++c.missed >= this.#maxMissed) {
        this.#c.deadClosed++;
        this.#drop(c);
        try {
          c.socket.close(CLOSE_HEARTBEAT_MISSED, "heartbeat missed");
        } catch { /* gone */ }
        continue;
      }
      c.awaitingPong = true;
      this.#sendText(c, text);
    }
  }

  // ---- snapshots

  #snapshot(c: Client, zones: Iso[]): void {
    if (zones.length === 0) return;
    this.#snapshotTicks(zones).then((ticks) => {
      if (!c.open) return;
      if (c.pending) {
        // A slow client gets the snapshot with its coalesced catch-up frame instead.
        for (const t of ticks) this.#hold(c, t, this.#windowOpenedAt || Date.now());
        return;
      }
      this.#sendNow(c, { type: "snapshot", zones, ticks });
    }).catch((e) => log.warn("realtime: snapshot failed", { error: String(e) }));
  }

  /** This instance's newest ticks; the cache only for zones it has not seen both markets of. */
  async #snapshotTicks(zones: Iso[]): Promise<PriceTick[]> {
    const missing = zones.filter((z) => MARKETS.some((m) => !this.#last.has(`${z}|${m}`)));
    const merged = new Map<string, PriceTick>();
    if (missing.length && this.#latest) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const latest = this.#latest;
        const fromCache = await Promise.race([
          this.#latestShared.get(missing.join(","), () => latest(missing)).value,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error("latest() timed out")), this.#snapshotTimeoutMs);
          }),
        ]);
        const wanted = new Set<string>(missing);
        for (const t of fromCache) {
          if (!wanted.has(t.zone)) continue;
          const prev = merged.get(tickKey(t));
          if (!prev || newerOrSame(t, prev)) merged.set(tickKey(t), t);
        }
      } catch (e) {
        // The snapshot then has what this instance knows; updates follow anyway.
        log.warn("realtime: latest prices unavailable for a snapshot", { error: String(e) });
      } finally {
        clearTimeout(timer);
      }
    }
    // Read after the await: ticks that arrived meanwhile are in the snapshot, never older ones.
    for (const t of this.lastSeen(zones)) {
      const prev = merged.get(tickKey(t));
      if (!prev || newerOrSame(t, prev)) merged.set(tickKey(t), t);
    }
    const order = (t: PriceTick) => ISOS.indexOf(t.zone) * 2 + MARKETS.indexOf(t.market as Market);
    return [...merged.values()].sort((a, b) => order(a) - order(b));
  }

  // ---- fan-out

  #fromPeer(msg: BusMessage): void {
    if (this.#closed) return;
    if (msg.kind === "prices") {
      this.#c.fromPeers += msg.ticks.length;
      this.#ingest(msg.ticks, msg.published_at, msg.org);
    } else if (msg.kind === "census") {
      this.#peers.set(msg.instance, { counts: msg.counts, at: Date.now() });
    } else if (msg.kind === "audit") {
      this.#auditLocal(msg.org);
    } else {
      this.#alertLocal(msg.alert, msg.org, msg.user);
    }
  }

  #ingest(ticks: PriceTick[], at: number, orgId: string | undefined): void {
    let window = this.#window;
    if (orgId) {
      window = this.#orgWindows.get(orgId) ?? new Map();
      this.#orgWindows.set(orgId, window);
    } else {
      for (const t of ticks) {
        const k = tickKey(t);
        const prev = this.#last.get(k);
        if (!prev || newerOrSame(t, prev)) this.#last.set(k, t);
      }
    }
    if (this.#windowOpenedAt === 0 || at < this.#windowOpenedAt) this.#windowOpenedAt = at;
    for (const t of ticks) {
      const k = `${t.zone}|${t.market}|${t.interval_start}`;
      if (window.has(k)) this.#c.coalesced++;
      window.set(k, t);
    }
    // After a quiet spell (no flush for a window: an admin's broadcast, the first tick in a while) the window
    // is sent in the next task, so what arrives in the same task still shares the frame but a lone update does
    // not wait a window for company that is not coming. Under a steady flow the window runs its length, as
    // before (flushing a window after the last flush began instead meant a third more frames at 1,000 ticks/s).
    this.#scheduleFlush(performance.now() - this.#lastFlushAt >= this.#flushMs ? 0 : this.#flushMs);
  }

  #scheduleFlush(ms: number): void {
    if (this.#closed) return;
    const at = performance.now() + ms;
    if (this.#flushTimer !== null) {
      // A slow client's slower re-check must not delay the window that new ticks just opened.
      if (this.#flushAt <= at) return;
      clearTimeout(this.#flushTimer);
    }
    this.#flushAt = at;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null;
      this.#flush();
    }, ms);
  }

  /**
   * Sends the window to every client, FLUSH_CHUNK clients at a time: between chunks the event loop
   * writes what was sent and serves other work, instead of stalling for the whole fan-out. Windows
   * never overlap, so a client always gets them in order.
   */
  #flush(): void {
    if (this.#flushing) {
      this.#flushAgain = true;
      return;
    }
    this.#lastFlushAt = performance.now();
    const window = this.#window;
    const orgWindows = this.#orgWindows;
    const openedAt = this.#windowOpenedAt || Date.now();
    this.#window = new Map();
    this.#orgWindows = new Map();
    this.#windowOpenedAt = 0;

    const w: FlushWindow = {
      openedAt,
      byZone: groupByZone(window.values()),
      orgByZone: new Map(),
      frames: new Map(),
    };
    for (const [org, ticks] of orgWindows) w.orgByZone.set(org, groupByZone(ticks.values()));
    const clients = [...this.#clients];
    this.#flushing = true;
    const step = (from: number) => {
      const t0 = performance.now();
      const end = Math.min(clients.length, from + FLUSH_CHUNK);
      for (let i = from; i < end; i++) this.#flushTo(clients[i], w);
      this.#c.flushMs += performance.now() - t0;
      if (end < clients.length && !this.#closed) {
        // setImmediate, not setTimeout(0): nested timeouts are clamped to 4 ms.
        setImmediate(() => step(end));
        return;
      }
      this.#flushing = false;
      this.#c.flushes++;
      if (window.size || orgWindows.size) this.#ages[this.#agesNext++ % this.#ages.length] = Date.now() - openedAt;
      if (this.#flushAgain) {
        this.#flushAgain = false;
        this.#scheduleFlush(0);
      }
      // Slow clients are looked at again even when no ticks come, so they catch up once they drain.
      if (this.#slow > 0) this.#scheduleFlush(Math.max(this.#flushMs, 50));
    };
    step(0);
  }

  #flushTo(c: Client, w: FlushWindow): void {
    if (!c.open) return;
    const backlog = c.socket.bufferedAmount;
    if (backlog > this.#c.maxBuffered) this.#c.maxBuffered = backlog;
    const orgTicks = w.orgByZone.get(c.orgId);

    if (c.pending || backlog > this.#maxBuffered) {
      // Slow: keep only the newest tick per zone+market until the socket drains.
      const mine = ticksFor(w.byZone, c.zones);
      for (const t of mine) this.#hold(c, t, w.openedAt);
      // An admin's drill prices too: a client that was slow for a moment still ends on the last one sent.
      if (orgTicks) { for (const t of ticksFor(orgTicks, c.zones)) this.#hold(c, t, w.openedAt, true); }
      if (backlog > this.#maxBuffered) {
        if (!c.pending) {
          c.pending = new Map();
          c.pendingSince = w.openedAt;
          this.#slow++;
        }
        if (mine.length) this.#c.deferred++;
        return;
      }
      if (c.pending) this.#catchUp(c);
      return;
    }

    // One serialised frame per distinct subscription (admin prices: per organization too): most clients
    // share a handful, so the cost per client is one send().
    let frame = w.frames.get(c.sig);
    if (frame === undefined) {
      frame = frameOf(w.byZone, c.zones, w.openedAt, false);
      w.frames.set(c.sig, frame);
    }
    if (frame) this.#sendFrame(c, frame.text, frame.n);
    if (orgTicks) {
      const key = `${c.orgId}\u0000${c.sig}`;
      let adminFrame = w.frames.get(key);
      if (adminFrame === undefined) {
        adminFrame = frameOf(orgTicks, c.zones, w.openedAt, true);
        w.frames.set(key, adminFrame);
      }
      if (adminFrame) this.#sendFrame(c, adminFrame.text, adminFrame.n);
    }
  }

  #hold(c: Client, t: PriceTick, at: number, admin = false): void {
    if (!c.pending) {
      c.pending = new Map();
      c.pendingSince = at;
      this.#slow++;
    }
    const held = admin ? (c.pendingAdmin ??= new Map()) : c.pending;
    const k = tickKey(t);
    const prev = held.get(k);
    if (prev) {
      if (!newerOrSame(t, prev)) {
        this.#c.coalesced++;
        return;
      }
      this.#c.coalesced++;
    }
    held.set(k, t);
  }

  /** The drained slow client's held-back state in one frame, then its held-back alerts. */
  #catchUp(c: Client): void {
    const pending = c.pending!;
    const admin = c.pendingAdmin;
    c.pending = c.pendingAdmin = null;
    this.#slow--;
    for (const [held, source] of [[pending, undefined], [admin, "admin"]] as const) {
      const ticks = held ? [...held.values()].filter((t) => c.zones.has(t.zone)) : [];
      if (!ticks.length) continue;
      const rows = ticks.map(priceRow);
      const msg = {
        type: "prices",
        published_at: c.pendingSince,
        rows,
        coalesced: true,
        ...(source ? { source } : {}),
      };
      this.#sendFrame(c, JSON.stringify(msg), ticks.length);
    }
    const alerts = c.pendingAlerts;
    c.pendingAlerts = [];
    for (const a of alerts) this.#sendNow(c, a);
  }

  #alertLocal(msg: AlertMessage, orgId: string | undefined, userId?: string): void {
    const text = JSON.stringify(msg);
    for (const c of this.#clients) {
      if (orgId && c.orgId !== orgId) continue;
      if (userId && c.userId !== userId) continue;
      if (c.pending) {
        c.pendingAlerts.push(msg);
        if (c.pendingAlerts.length > MAX_PENDING_ALERTS) {
          c.pendingAlerts.shift();
          this.#c.dropped++;
        }
        continue;
      }
      this.#sendText(c, text);
    }
  }

  // ---- sending

  #sendFrame(c: Client, text: string, ticks: number): void {
    if (this.#sendText(c, text)) {
      this.#c.frames++;
      this.#c.delivered += ticks;
      c.orgCounters.frames++;
      c.orgCounters.delivered += ticks;
    }
  }

  /** Welcome, snapshot and catch-up frames: bounded in size, always sent. */
  #sendNow(c: Client, msg: ServerMessage): void {
    this.#sendText(c, JSON.stringify(msg));
  }

  /** Replies and errors: dropped for a client far over its backlog, so a flood of bad frames cannot grow it. */
  #control(c: Client, msg: ServerMessage | string): void {
    if (c.socket.bufferedAmount > this.#maxBuffered * CONTROL_BACKLOG_FACTOR) {
      this.#c.dropped++;
      return;
    }
    if (typeof msg === "string") this.#sendText(c, msg); // one message to many: serialised once by the caller
    else this.#sendNow(c, msg);
  }

  #sendText(c: Client, text: string): boolean {
    if (!c.open || c.socket.readyState !== OPEN) return false;
    try {
      c.socket.send(text);
      this.#c.messages++;
      c.orgCounters.messages++;
      return true;
    } catch {
      // Closed under us; the close event removes it.
      return false;
    }
  }
}

function sigOf(zones: Set<Iso>): string {
  return ISOS.filter((z) => zones.has(z)).join(",");
}

function groupByZone(ticks: Iterable<PriceTick>): Map<Iso, PriceTick[]> {
  const out = new Map<Iso, PriceTick[]>();
  for (const t of ticks) {
    const list = out.get(t.zone);
    if (list) list.push(t);
    else out.set(t.zone, [t]);
  }
  return out;
}

/** A tick is turned into a row once per window, however many frames carry it. */
const rows = new WeakMap<PriceTick, PriceRow>();
function rowOf(t: PriceTick): PriceRow {
  let r = rows.get(t);
  if (!r) rows.set(t, r = priceRow(t));
  return r;
}

/** A serialised `prices` frame of the window's ticks for these zones, or null when there are none. */
function frameOf(
  byZone: Map<Iso, PriceTick[]>,
  zones: Set<Iso>,
  publishedAt: number,
  admin: boolean,
): { text: string; n: number } | null {
  const rows = ticksFor(byZone, zones).map(rowOf);
  if (!rows.length) return null;
  const msg = admin
    ? { type: "prices", published_at: publishedAt, rows, source: "admin" }
    : { type: "prices", published_at: publishedAt, rows };
  return { text: JSON.stringify(msg), n: rows.length };
}

function ticksFor(byZone: Map<Iso, PriceTick[]>, zones: Set<Iso>): PriceTick[] {
  if (byZone.size === 1) {
    const [[zone, list]] = byZone;
    return zones.has(zone) ? list : [];
  }
  const out: PriceTick[] = [];
  for (const [zone, list] of byZone) if (zones.has(zone)) { for (const t of list) out.push(t); }
  return out;
}
