/**
 * Every environment variable the app reads, parsed once at start-up.
 * A wrong value stops the app with one message naming the variable (see main.ts).
 */
import { z } from "zod";
import { DEFAULT_DATA_DIR } from "./defaults.ts";

const optionalUrl = (protocols: string[]) =>
  z.string().trim().optional().transform((v) => (v ? v : undefined)).refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => p + "//").join(" or ")}` },
  );

const emailList = z.string().trim().optional().transform((v) =>
  v ? v.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean) : []
).refine((list) => list.every((e) => z.email().safeParse(e).success), {
  message: "must be a comma-separated list of e-mail addresses",
});

const bool = z.enum(["true", "false", "1", "0", ""]).optional().transform((v) => v === "true" || v === "1");

export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** App processes on this machine sharing PORT (SO_REUSEPORT), under one supervising process. */
  APP_PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
  /** Listen with SO_REUSEPORT, so several processes can share PORT (Linux spreads connections over them). */
  REUSE_PORT: bool,
  APP_ENV: z.enum(["development", "production", "test"]).default("development"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
  DATABASE_URL: optionalUrl(["postgres:", "postgresql:"]),
  KV_PATH: z.string().optional(),
  REDIS_URL: optionalUrl(["redis:", "rediss:"]),
  REDIS_KEY_PREFIX: z.string().regex(/^[\w:.-]*$/, "letters, digits, _ : . - only").default("optibid:"),
  KAFKA_BROKERS: z.string().trim().optional().transform((v) =>
    v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []
  )
    .refine((list) => list.every((b) => /^[\w.-]+:\d{1,5}$/.test(b)), {
      message: "must be a comma-separated list of host:port",
    }),
  KAFKA_CLIENT_ID: z.string().min(1).default("optibid"),
  CLICKHOUSE_URL: optionalUrl(["http:", "https:"]),
  MLFLOW_TRACKING_URI: optionalUrl(["http:", "https:"]),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(1024 * 1024),
  SERVICE_TIMEOUT_MS: z.coerce.number().int().min(100).max(2000).default(2000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  REALTIME_FLUSH_MS: z.coerce.number().int().min(1).max(1000).default(15),
  APP_VERSION: z.string().optional(),
  JWT_SECRET: z.string().optional().refine((v) => v === undefined || new TextEncoder().encode(v).length >= 32, {
    message: "must be at least 32 bytes (e.g. `openssl rand -base64 48`)",
  }),
  JWT_ALG: z.enum(["HS256", "EdDSA", "ES256"]).default("HS256"),
  JWT_PRIVATE_KEY: z.string().optional(),
  JWT_PUBLIC_KEY: z.string().optional(),
  JWT_ISSUER: z.string().min(1).default("optibid"),
  JWT_AUDIENCE: z.string().min(1).default("optibid"),
  ACCESS_TOKEN_TTL_S: z.coerce.number().int().min(1).max(86_400).default(900),
  TRUSTED_PROXIES: z.string().trim().optional().transform((v) =>
    v ? v.split(",").map((s) => s.trim()).filter(Boolean) : []
  ).refine((list) => list.every(isIpOrCidr), { message: "must be a comma-separated list of IP addresses or CIDRs" }),
  PUBLIC_ORIGIN: optionalUrl(["http:", "https:"]),
  PLATFORM_ADMINS: emailList,
  /** The older name of PLATFORM_ADMINS, still accepted: the two lists are joined. */
  OPERATOR_EMAILS: emailList,
  METRICS_TOKEN: z.string().optional().refine((v) => v === undefined || v.length >= 16, {
    message: "must be at least 16 characters",
  }),
  REQUEST_METRICS: z.enum(["on", "off"]).default("on"),
  QUOTAS: z.enum(["on", "off"]).default("on"),
  MARKET_SOURCE: z.enum(["simulator", "replay", "off"]).default("simulator"),
  MARKET_SEED: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(20_240_501),
  MARKET_BACKFILL_DAYS: z.coerce.number().int().min(0).max(365).default(30),
  MARKET_DA_HISTORY_DAYS: z.coerce.number().int().min(0).max(1500).default(182),
  MARKET_REPLAY_FILE: z.string().optional(),
  MARKET_REPLAY_SPEED: z.coerce.number().positive().max(1_000_000).default(60),
  FORECAST_JOB: z.enum(["on", "off"]).optional(),
  STRATEGY_RUNNER: z.enum(["on", "off"]).optional(),
  SMTP_URL: optionalUrl(["smtp:", "smtps:"]),
  SMTP_FROM: z.string().trim().max(200).default("OptiBid <no-reply@optibid.invalid>"),
  WEBHOOK_ALLOW_PRIVATE: bool,
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(500).max(30_000).default(10_000),
  DENO_DEPLOYMENT_ID: z.string().optional(),
  CI: bool,
});

export type Env = z.infer<typeof envSchema>;

function isIpOrCidr(v: string): boolean {
  const [ip, bits, extra] = v.split("/");
  if (extra !== undefined) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  const isV4 = !!v4 && v4.slice(1).every((o) => Number(o) <= 255);
  const isV6 = !isV4 && /^[0-9a-f:]+$/i.test(ip) && ip.includes(":");
  if (!isV4 && !isV6) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (isV4 ? 32 : 128));
}

export interface Config {
  port: number;
  host: string;
  appProcesses: number;
  reusePort: boolean;
  appEnv: Env["APP_ENV"];
  logLevel: Env["LOG_LEVEL"];
  dataDir: string;
  databaseUrl?: string;
  kvPath: string | undefined;
  redisUrl?: string;
  redisKeyPrefix: string;
  kafkaBrokers: string[];
  kafkaClientId: string;
  clickhouseUrl?: string;
  mlflowTrackingUri?: string;
  bodyLimitBytes: number;
  /** Upper bound of one connection attempt or check of an optional service (≤ 2 s). */
  serviceTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** The WebSocket fan-out window: a client gets at most one frame of prices per window. */
  realtimeFlushMs: number;
  appVersion: string;
  /** Set on Deno Deploy: KV is native there and no local files are written. */
  onDenoDeploy: boolean;
  jwt: {
    secret?: string;
    alg: Env["JWT_ALG"];
    privateKeyPem?: string;
    publicKeyPem?: string;
    issuer: string;
    audience: string;
  };
  /** Access-token lifetime in seconds; a session lasts as long as its refresh token. */
  accessTokenTtlS: number;
  /** Peers whose X-Forwarded-For is believed (reverse proxies, load balancers). */
  trustedProxies: string[];
  /** The app's public origin (scheme://host[:port]) for CSRF checks; unset → the request's own Host. */
  publicOrigin?: string;
  /**
   * Lower-cased e-mails of the platform operators (PLATFORM_ADMINS, or its older name OPERATOR_EMAILS):
   * the people running this instance, who see and steer every organization. Empty: nobody does.
   */
  operatorEmails: string[];
  /** Bearer token that may read GET /metrics (besides a platform operator's session). */
  metricsToken?: string;
  /** Request counts and latencies per route on the request path (REQUEST_METRICS). */
  requestMetrics: boolean;
  /** Per-organization quotas metered on the request path (QUOTAS). */
  quotas: boolean;
  market: {
    source: Env["MARKET_SOURCE"];
    seed: number;
    backfillDays: number;
    /** Days of DA prices and load the simulator keeps behind today (cheap: 24 rows a zone-day), for the forecast job. */
    daHistoryDays: number;
    replayFile?: string;
    replaySpeed: number;
  };
  /** Whether this instance runs the live forecast job (default on; off under APP_ENV=test and on Deno Deploy). */
  forecastJob: boolean;
  /** Whether this instance runs saved strategies on their schedule (default on; off under APP_ENV=test). */
  strategyRunner: boolean;
  /** E-mail notifications: unset URL → none are sent (the channel is not offered). */
  smtp: { url?: string; from: string };
  webhooks: {
    /** Lets endpoints on loopback and private networks through the SSRF check (tests, closed networks). */
    allowPrivate: boolean;
    /** Bound of one delivery attempt. */
    timeoutMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      "Invalid configuration:\n" +
        issues.map((i) => `  ${i.variable}: ${i.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** The variables this app reads, for docs and the docker-compose consistency test. */
export const ENV_VARS = Object.keys(envSchema.shape) as (keyof Env)[];

export function loadConfig(env: Record<string, string | undefined>, defaults: { appVersion?: string } = {}): Config {
  const picked: Record<string, string | undefined> = {};
  for (const key of ENV_VARS) picked[key] = env[key] === "" && key !== "CI" ? undefined : env[key];
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? "?"),
      message: issue.code === "invalid_value" && "values" in issue
        ? `must be one of ${(issue.values as unknown[]).join(", ")} (got ${
          JSON.stringify(picked[String(issue.path[0])])
        })`
        : issue.message,
    })));
  }
  const e = parsed.data;
  if (e.MARKET_SOURCE === "replay" && !e.MARKET_REPLAY_FILE) {
    throw new ConfigError([{
      variable: "MARKET_REPLAY_FILE",
      message: "is required when MARKET_SOURCE=replay (a CSV in gridstatus' LMP schema or a PJM da/rt_hrl_lmps export)",
    }]);
  }
  if (e.JWT_ALG !== "HS256" && (!e.JWT_PRIVATE_KEY || !e.JWT_PUBLIC_KEY)) {
    throw new ConfigError([{
      variable: "JWT_ALG",
      message: `${e.JWT_ALG} needs JWT_PRIVATE_KEY (PKCS#8 PEM) and JWT_PUBLIC_KEY (SPKI PEM)`,
    }]);
  }
  const onDenoDeploy = Boolean(e.DENO_DEPLOYMENT_ID);
  if (e.APP_PROCESSES > 1) {
    // Each process opens its own database connection and binds the same port: an embedded database is one
    // process's, the realtime bus between instances is Redis, a port of 0 would give each process a port of its
    // own, and Deno Deploy runs its own isolates.
    const why = !e.DATABASE_URL
      ? "needs DATABASE_URL (the embedded database belongs to one process)"
      : !e.REDIS_URL
      ? "needs REDIS_URL (the realtime bus between the processes: without it a process's WebSocket clients " +
        "would miss the prices, alerts and notices published in the others)"
      : e.PORT === 0
      ? "needs a fixed PORT (with 0 each process would listen on a port of its own)"
      : onDenoDeploy
      ? "does not apply on Deno Deploy"
      : null;
    if (why) throw new ConfigError([{ variable: "APP_PROCESSES", message: why }]);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    appProcesses: e.APP_PROCESSES,
    reusePort: e.REUSE_PORT,
    appEnv: e.APP_ENV,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    kvPath: onDenoDeploy ? undefined : (e.KV_PATH ?? `${e.DATA_DIR}/kv`),
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    kafkaBrokers: e.KAFKA_BROKERS,
    kafkaClientId: e.KAFKA_CLIENT_ID,
    clickhouseUrl: e.CLICKHOUSE_URL,
    mlflowTrackingUri: e.MLFLOW_TRACKING_URI,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    serviceTimeoutMs: e.SERVICE_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    realtimeFlushMs: e.REALTIME_FLUSH_MS,
    appVersion: e.APP_VERSION ?? defaults.appVersion ?? "0.1.0",
    onDenoDeploy,
    jwt: {
      secret: e.JWT_SECRET,
      alg: e.JWT_ALG,
      privateKeyPem: e.JWT_PRIVATE_KEY,
      publicKeyPem: e.JWT_PUBLIC_KEY,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    accessTokenTtlS: e.ACCESS_TOKEN_TTL_S,
    trustedProxies: e.TRUSTED_PROXIES,
    publicOrigin: e.PUBLIC_ORIGIN ? new URL(e.PUBLIC_ORIGIN).origin : undefined,
    operatorEmails: [...new Set([...e.PLATFORM_ADMINS, ...e.OPERATOR_EMAILS])],
    metricsToken: e.METRICS_TOKEN,
    requestMetrics: e.REQUEST_METRICS === "on",
    quotas: e.QUOTAS === "on",
    market: {
      source: e.MARKET_SOURCE,
      seed: e.MARKET_SEED,
      backfillDays: e.MARKET_BACKFILL_DAYS,
      daHistoryDays: e.MARKET_DA_HISTORY_DAYS,
      replayFile: e.MARKET_REPLAY_FILE,
      replaySpeed: e.MARKET_REPLAY_SPEED,
    },
    // Deno Deploy runs no Web Workers, and the job computes only in one: there it is off unless asked for.
    forecastJob: e.FORECAST_JOB ? e.FORECAST_JOB === "on" : e.APP_ENV !== "test" && !e.DENO_DEPLOYMENT_ID,
    // Tests run strategies when they ask to (`tick()`, "Run now"), or with STRATEGY_RUNNER=on.
    strategyRunner: e.STRATEGY_RUNNER ? e.STRATEGY_RUNNER === "on" : e.APP_ENV !== "test",
    smtp: { url: e.SMTP_URL, from: e.SMTP_FROM },
    webhooks: { allowPrivate: e.WEBHOOK_ALLOW_PRIVATE, timeoutMs: e.WEBHOOK_TIMEOUT_MS },
  };
}
