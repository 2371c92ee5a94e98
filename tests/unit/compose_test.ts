/**
 * The deployment files agree with the app: docker-compose.yml sets only variables the
 * app reads, with values its config accepts, pointing at services that exist on the
 * ports they listen on; every service has a healthcheck; the Dockerfile pins the same
 * Deno as README.md and .ci/run and runs as a non-root user with a healthcheck; and
 * .env.example and README.md document exactly the variables in ENV_VARS.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { ENV_VARS, loadConfig } from "../../services/config/env.ts";

const root = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, root));

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target: number })[];
  expose?: (string | number)[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: (string | { type?: string; source?: string })[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = parse(await read("docker-compose.yml")) as ComposeFile;
const services = compose.services;
const app = services.app;

/** `${VAR:-default}` / `${VAR-default}` as compose would resolve them with VAR unset; plain `${VAR}` is refused. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(:?-([^}]*))?\}/gi, (whole, _name, hasDefault, fallback) => {
    if (!hasDefault) throw new Error(`${whole} has no default: the compose file must work without a .env`);
    return fallback;
  }).replace(/\$\$/g, "$");
}

function environmentOf(service: ComposeService): Record<string, string> {
  const env: Record<string, string> = {};
  const raw = service.environment ?? {};
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const i = entry.indexOf("=");
      assert.ok(i > 0, `environment entry "${entry}" must be NAME=value`);
      env[entry.slice(0, i)] = interpolate(entry.slice(i + 1));
    }
  } else {
    for (const [k, v] of Object.entries(raw)) env[k] = interpolate(v === null ? "" : String(v));
  }
  return env;
}

/** Container-side ports a service listens on, as its `expose` and `ports` entries declare them. */
function listeningPorts(service: ComposeService): Set<number> {
  const ports = new Set<number>();
  for (const e of service.expose ?? []) ports.add(Number(String(e).split("/")[0]));
  for (const p of service.ports ?? []) {
    if (typeof p === "object") ports.add(Number(p.target));
    else ports.add(Number(String(p).split("/")[0].split(":").at(-1)));
  }
  return ports;
}

const DEFAULT_PORTS: Record<string, number> = {
  "postgres:": 5432,
  "postgresql:": 5432,
  "redis:": 6379,
  "rediss:": 6379,
  "http:": 80,
  "https:": 443,
};

function assertPointsAtService(variable: string, host: string, port: number) {
  const target = services[host];
  assert.ok(target, `${variable} points at "${host}", which is not a service in docker-compose.yml`);
  const ports = listeningPorts(target);
  assert.ok(
    ports.has(port),
    `${variable} uses port ${port} of "${host}", which listens on ${[...ports].join(", ") || "no declared port"}`,
  );
}

Deno.test("every docker-compose service has a healthcheck", () => {
  const names = Object.keys(services);
  for (const expected of ["app", "postgres", "redis", "kafka", "clickhouse", "mlflow"]) {
    assert.ok(names.includes(expected), `docker-compose.yml has no "${expected}" service`);
  }
  for (const [name, service] of Object.entries(services)) {
    const hc = service.healthcheck;
    assert.ok(hc && !hc.disable, `service "${name}" has no healthcheck`);
    const test = Array.isArray(hc.test) ? hc.test : [hc.test ?? ""];
    assert.ok(test.length > 0 && test[0] !== "NONE" && test.join(" ").trim() !== "", `"${name}": empty healthcheck`);
  }
});

Deno.test("the app service sets only variables the app reads, with values its config accepts", () => {
  const env = environmentOf(app);
  assert.ok(Object.keys(env).length > 0, "the app service sets no environment");
  const unknown = Object.keys(env).filter((k) => !(ENV_VARS as string[]).includes(k));
  assert.deepEqual(unknown, [], `the app does not read ${unknown.join(", ")} (see services/config/env.ts)`);
  const config = loadConfig(env); // throws ConfigError naming the variable
  assert.equal(config.appEnv, "production");
  assert.ok(config.databaseUrl, "DATABASE_URL is set: compose runs on Postgres, not PGlite");
  assert.ok(config.redisUrl && config.kafkaBrokers.length && config.clickhouseUrl && config.mlflowTrackingUri);
});

Deno.test("every URL and broker the app service is given names a compose service on a port it listens on", () => {
  const env = environmentOf(app);
  let checked = 0;
  for (const [name, value] of Object.entries(env)) {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) continue;
    const url = new URL(value);
    const port = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol];
    assert.ok(port, `${name}: no port and no known default for ${url.protocol}`);
    assertPointsAtService(name, url.hostname, port);
    checked++;
  }
  for (const broker of loadConfig(env).kafkaBrokers) {
    const [host, port] = broker.split(":");
    assertPointsAtService("KAFKA_BROKERS", host, Number(port));
    checked++;
  }
  assert.ok(checked >= 5, `expected DATABASE_URL, REDIS_URL, KAFKA_BROKERS, CLICKHOUSE_URL, MLFLOW_TRACKING_URI`);
});

Deno.test("the app waits only for Postgres; stateful services keep their data in named volumes", () => {
  const deps = app.depends_on ?? {};
  const entries = Array.isArray(deps) ? deps.map((d) => [d, {}] as const) : Object.entries(deps);
  assert.deepEqual(
    entries.map(([name, o]) => [name, (o as { condition?: string }).condition]),
    [["postgres", "service_healthy"]],
    "optional services must not gate the app's start-up",
  );
  const declared = Object.keys(compose.volumes ?? {});
  for (const name of ["app", "postgres", "redis", "kafka", "clickhouse", "mlflow"]) {
    const named = (services[name].volumes ?? [])
      .map((v) => typeof v === "string" ? v.split(":")[0] : v.source ?? "")
      .filter((source) => source && !source.startsWith(".") && !source.startsWith("/") && !source.startsWith("~"));
    assert.ok(named.length > 0, `service "${name}" has no named volume`);
    for (const v of named) assert.ok(declared.includes(v), `volume "${v}" of "${name}" is not declared`);
  }
});

Deno.test("the Dockerfile pins the Deno of README.md and .ci/run, runs as non-root, and has a HEALTHCHECK", async () => {
  // Logical lines: continuation lines joined, comments dropped.
  const lines = (await read("Dockerfile")).replace(/\\\n/g, " ").split("\n").map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const from = lines.filter((l) => /^FROM\s/i.test(l));
  assert.ok(from.length > 0, "no FROM");
  const base = from.at(-1)!.match(/^FROM\s+(?:--platform=\S+\s+)?denoland\/deno:(?:[a-z]+-)?(\d+\.\d+\.\d+)\b/i);
  assert.ok(base, `the final stage is not a pinned denoland/deno:X.Y.Z image: ${from.at(-1)}`);
  const version = base[1];

  for (const file of ["README.md", ".ci/run"]) {
    const text = await read(file);
    const pins = [...text.matchAll(/(?:deno@|DENO_VERSION=|denoland\/deno:)(\d+\.\d+\.\d+)/g)].map((m) => m[1]);
    assert.ok(pins.length > 0, `${file} does not name deno@X.Y.Z (or DENO_VERSION=X.Y.Z)`);
    assert.deepEqual([...new Set(pins)], [version], `${file} uses deno@${pins.join(", ")}; Dockerfile has ${version}`);
  }

  const users = lines.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
  assert.ok(users.length > 0, "no USER: the image would run as root");
  assert.ok(!["root", "0", "0:0", "root:root"].includes(users.at(-1)!), `runs as ${users.at(-1)}`);

  const healthcheck = lines.filter((l) => /^HEALTHCHECK\s/i.test(l)).at(-1);
  assert.ok(healthcheck, "no HEALTHCHECK");
  assert.ok(!/^HEALTHCHECK\s+NONE/i.test(healthcheck), "HEALTHCHECK NONE");
  assert.match(healthcheck, /\bCMD\b.*\/health\/live/);
  assert.ok(lines.some((l) => /^EXPOSE\s+8000\b/.test(l)), "EXPOSE 8000");
});

Deno.test(".env.example documents exactly the variables the app reads, and its values are valid", async () => {
  const text = await read(".env.example");
  const documented: string[] = [];
  const active: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/);
    if (!m) continue;
    documented.push(m[2]);
    if (!m[1]) active[m[2]] = m[3];
  }
  const missing = ENV_VARS.filter((v) => !documented.includes(v));
  const extra = documented.filter((v) => !(ENV_VARS as string[]).includes(v));
  assert.deepEqual(missing, [], `.env.example does not document ${missing.join(", ")}`);
  assert.deepEqual(extra, [], `.env.example documents variables the app does not read: ${extra.join(", ")}`);
  assert.equal(new Set(documented).size, documented.length, "a variable is documented twice");
  loadConfig(active);
});

Deno.test("README.md's environment table lists every variable the app reads", async () => {
  const readme = await read("README.md");
  const section = readme.match(/^## Environment variables\n([\s\S]*?)(?=^## )/m);
  assert.ok(section, 'README.md has no "## Environment variables" section');
  const listed = [...section[1].matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/gm)].map((m) => m[1]);
  const missing = ENV_VARS.filter((v) => !listed.includes(v));
  // Read by tasks, not by the app's config: `deno task seed`.
  const TASK_VARS = ["SEED_PASSWORD"];
  const extra = listed.filter((v) => !(ENV_VARS as string[]).includes(v) && !TASK_VARS.includes(v));
  assert.deepEqual(missing, [], `README.md's table lacks ${missing.join(", ")}`);
  assert.deepEqual(extra, [], `README.md lists variables the app does not read: ${extra.join(", ")}`);
});

Deno.test("Prometheus scrapes the app's /metrics with its METRICS_TOKEN; Grafana's dashboard is provisioned from files", async () => {
  const prometheus = services.prometheus;
  const grafana = services.grafana;
  assert.ok(prometheus && grafana, "docker-compose.yml has prometheus and grafana services");
  const mounts = (s: ComposeService) =>
    new Map(
      (s.volumes ?? []).map((v) => (typeof v === "string" ? v.split(":") : [v.source ?? ""])).map((
        [src, dst],
      ) => [dst, src]),
    );

  const promConfigFile = mounts(prometheus).get("/etc/prometheus/prometheus.yml");
  assert.ok(promConfigFile, "prometheus.yml is mounted from the repository");
  const promConfig = parse(await read(promConfigFile.replace(/^\.\//, ""))) as {
    scrape_configs: {
      metrics_path?: string;
      authorization?: { credentials?: string };
      static_configs: { targets: string[] }[];
    }[];
  };
  const job = promConfig.scrape_configs.find((j) =>
    j.static_configs.some((c) => c.targets.some((t) => t.startsWith("app:")))
  );
  assert.ok(job, "a scrape job targets the app service");
  assert.equal(job.metrics_path ?? "/metrics", "/metrics");
  const [host, port] = job.static_configs[0].targets[0].split(":");
  assertPointsAtService("prometheus target", host, Number(port));
  const config = loadConfig(environmentOf(app));
  assert.ok(config.metricsToken, "the app has a METRICS_TOKEN");
  assert.equal(job.authorization?.credentials, config.metricsToken, "Prometheus sends the app's METRICS_TOKEN");

  const grafanaMounts = mounts(grafana);
  const provisioning = grafanaMounts.get("/etc/grafana/provisioning");
  assert.ok(provisioning, "Grafana's provisioning folder is mounted");
  const datasources = parse(await read(`${provisioning.replace(/^\.\//, "")}/datasources/prometheus.yml`)) as {
    datasources: { uid: string; type: string; url: string }[];
  };
  const ds = datasources.datasources[0];
  assert.equal(ds.type, "prometheus");
  const dsUrl = new URL(ds.url);
  assertPointsAtService("Grafana's data source", dsUrl.hostname, Number(dsUrl.port));
  const providers = parse(await read(`${provisioning.replace(/^\.\//, "")}/dashboards/optibid.yml`)) as {
    providers: { options: { path: string } }[];
  };
  const dashboardsDir = grafanaMounts.get(providers.providers[0].options.path);
  assert.ok(dashboardsDir, "the dashboard provider's path is a mounted folder");

  // Every panel queries the data source above, and every metric it names is one the app exposes.
  const { createAppMetrics } = await import("../../services/metrics/metrics.ts");
  const exposition = await createAppMetrics({
    ws: () => ({ connections: 0, frames_sent: 0, messages_sent: 0 }),
    queueDeadLetters: () => 0,
    queueBackend: () => "kv",
    queueDepth: () => Promise.resolve([{ topic: "bids.events", depth: 0, oldestAgeS: 0 }]),
    outbox: () => Promise.resolve({ backlog: 0, oldestAgeS: 0 }),
    dbPool: () => ({ max: 1, inFlight: 0 }),
  }).render();
  const exposed = new Set(
    [...exposition.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap(([, name, type]) =>
      type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]
    ),
  );
  const dashboard = JSON.parse(await read(`${dashboardsDir.replace(/^\.\//, "")}/optibid.json`)) as {
    panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
  };
  assert.ok(dashboard.panels.length >= 6);
  const FUNCTIONS = new Set([
    "sum",
    "by",
    "rate",
    "increase",
    "histogram_quantile",
    "max",
    "le",
    "route",
    "status",
    "quota",
    "topic",
  ]);
  for (const panel of dashboard.panels) {
    assert.equal(panel.datasource.uid, ds.uid, `${panel.title}: its data source`);
    for (const t of panel.targets) {
      const names = [...t.expr.replace(/\{[^}]*\}/g, "").replace(/\[[^\]]*\]/g, "").matchAll(/[a-z_][a-z0-9_]*/g)]
        .map((m) => m[0]).filter((n) => !FUNCTIONS.has(n));
      assert.ok(names.length > 0, `${panel.title}: ${t.expr}`);
      for (const n of names) assert.ok(exposed.has(n), `${panel.title}: ${n} is not a metric the app exposes`);
    }
  }
});
