import assert from "node:assert/strict";
import { ConfigError, ENV_VARS, loadConfig } from "../../services/config/env.ts";

Deno.test("config: defaults with nothing set", () => {
  const c = loadConfig({});
  assert.equal(c.port, 8000);
  assert.equal(c.host, "0.0.0.0");
  assert.equal(c.dataDir, "./data");
  assert.equal(c.kvPath, "./data/kv");
  assert.equal(c.databaseUrl, undefined);
  assert.deepEqual(c.kafkaBrokers, []);
  assert.equal(c.serviceTimeoutMs, 2000);
  assert.equal(c.jwt.alg, "HS256");
  assert.deepEqual(c.trustedProxies, []);
});

Deno.test("config: each wrong value names its variable and what is expected", () => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ PORT: "eighty" }, "PORT", /number/i],
    [{ PORT: "70000" }, "PORT", /65535/],
    [{ APP_ENV: "staging" }, "APP_ENV", /development, production, test/],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL", /debug, info, warn, error/],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL", /postgres:\/\//],
    [{ REDIS_URL: "not a url" }, "REDIS_URL", /redis:\/\//],
    [{ KAFKA_BROKERS: "kafka" }, "KAFKA_BROKERS", /host:port/],
    [{ CLICKHOUSE_URL: "ftp://x" }, "CLICKHOUSE_URL", /http/],
    [{ SERVICE_TIMEOUT_MS: "5000" }, "SERVICE_TIMEOUT_MS", /2000/],
    [{ BODY_LIMIT_BYTES: "10" }, "BODY_LIMIT_BYTES", /1024/],
    [{ JWT_SECRET: "short" }, "JWT_SECRET", /32 bytes/],
    [{ JWT_ALG: "RS256" }, "JWT_ALG", /HS256, EdDSA, ES256/],
    [{ JWT_ALG: "EdDSA" }, "JWT_ALG", /JWT_PRIVATE_KEY/],
    [{ TRUSTED_PROXIES: "10.0.0.0/33" }, "TRUSTED_PROXIES", /IP addresses or CIDRs/],
    [{ TRUSTED_PROXIES: "proxy.local" }, "TRUSTED_PROXIES", /IP addresses or CIDRs/],
    [{ PUBLIC_ORIGIN: "bids.example.com" }, "PUBLIC_ORIGIN", /http/],
    [{ CI: "yes" }, "CI", /true/],
  ];
  for (const [env, variable, expected] of cases) {
    assert.throws(() => loadConfig(env), (e: unknown) => {
      assert.ok(e instanceof ConfigError, `${variable}: ConfigError`);
      const issue = e.issues.find((i) => i.variable === variable);
      assert.ok(issue, `${JSON.stringify(env)} names ${variable}: ${e.message}`);
      assert.match(issue.message, expected);
      assert.doesNotMatch(e.message, /\n\s+at /, "no stack trace in the message");
      return true;
    });
  }
});

Deno.test("config: valid values are parsed into their types", () => {
  const c = loadConfig({
    PORT: "9001",
    KAFKA_BROKERS: "a:9092, b:9093",
    TRUSTED_PROXIES: "10.0.0.0/8, ::1",
    PUBLIC_ORIGIN: "https://bids.example.com/some/path",
    JWT_SECRET: "s".repeat(32),
    CI: "1",
  });
  assert.equal(c.port, 9001);
  assert.deepEqual(c.kafkaBrokers, ["a:9092", "b:9093"]);
  assert.deepEqual(c.trustedProxies, ["10.0.0.0/8", "::1"]);
  assert.equal(c.publicOrigin, "https://bids.example.com");
  assert.equal(c.jwt.secret, "s".repeat(32));
});

Deno.test("config: ENV_VARS lists every variable of the schema", () => {
  for (const v of ["PORT", "DATABASE_URL", "REDIS_URL", "KAFKA_BROKERS", "JWT_SECRET", "TRUSTED_PROXIES"]) {
    assert.ok((ENV_VARS as string[]).includes(v), v);
  }
});

Deno.test("config: OPERATOR_EMAILS is a comma-separated list of e-mails, compared lower-cased", () => {
  assert.deepEqual(loadConfig({}).operatorEmails, []);
  assert.deepEqual(loadConfig({ OPERATOR_EMAILS: " Ops@Example.com, , root@example.org " }).operatorEmails, [
    "ops@example.com",
    "root@example.org",
  ]);
  assert.throws(
    () => loadConfig({ OPERATOR_EMAILS: "ops@example.com;root" }),
    (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.variable === "OPERATOR_EMAILS"),
  );
});

Deno.test("config: PLATFORM_ADMINS names the platform admins; OPERATOR_EMAILS, its older name, is joined to it", () => {
  assert.deepEqual(loadConfig({ PLATFORM_ADMINS: "Boss@Example.com" }).operatorEmails, ["boss@example.com"]);
  assert.deepEqual(
    loadConfig({
      PLATFORM_ADMINS: "boss@example.com,ops@example.com",
      OPERATOR_EMAILS: "OPS@example.com,old@example.com",
    })
      .operatorEmails,
    ["boss@example.com", "ops@example.com", "old@example.com"],
  );
  assert.throws(
    () => loadConfig({ PLATFORM_ADMINS: "not-an-email" }),
    (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.variable === "PLATFORM_ADMINS"),
  );
});

Deno.test("config: METRICS_TOKEN is long enough; REQUEST_METRICS and QUOTAS switch metering on and off", () => {
  const d = loadConfig({});
  assert.deepEqual([d.metricsToken, d.requestMetrics, d.quotas], [undefined, true, true]);
  const off = loadConfig({ REQUEST_METRICS: "off", QUOTAS: "off", METRICS_TOKEN: "0123456789abcdef" });
  assert.deepEqual([off.metricsToken, off.requestMetrics, off.quotas], ["0123456789abcdef", false, false]);
  assert.throws(
    () => loadConfig({ METRICS_TOKEN: "short" }),
    (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.variable === "METRICS_TOKEN"),
  );
  assert.throws(() => loadConfig({ QUOTAS: "maybe" }), ConfigError);
});
