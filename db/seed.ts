/**
 * `deno task seed`: a demo organization with one user of each role, printed
 * with their credentials. Run it again to reset those users' passwords.
 * Passwords are random unless SEED_PASSWORD is set (it must pass the policy).
 * With PGlite it refuses while the app runs on the same DATA_DIR (DATA_DIR/app.pid): one process
 * at a time opens PGlite's files, and users written by a second one would be lost.
 */
import { ConfigError, loadConfig } from "../services/config/env.ts";
import { openPglite, pgliteDir } from "../services/adapters/pglite.ts";
import { openPostgres } from "../services/adapters/postgres.ts";
import { hashPassword } from "../services/auth/password.ts";
import { checkPassword, loadPasswordPolicy } from "../services/auth/password_policy.ts";
import { randomToken } from "../services/auth/opaque.ts";
import { ROLES } from "../services/auth/rbac.ts";
import { migrate } from "./migrate.ts";
import { claimDataDir, dataDirHolder, DataDirInUseError, releaseDataDir } from "../services/adapters/data_dir_lock.ts";

export const DEMO_ORG = "Demo Energy Co";

class SeedRefused extends Error {}

/** Where an app started with this configuration listens (HOST 0.0.0.0 / :: is reached as localhost). */
function configuredUrl(config: { host: string; port: number }): string {
  const host = ["0.0.0.0", "::", "[::]"].includes(config.host) ? "localhost" : config.host;
  return `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${config.port}`;
}
export const demoEmail = (role: string) => `${role}@demo.optibid.test`;

try {
  const config = loadConfig(Deno.env.toObject());
  const fixed = Deno.env.get("SEED_PASSWORD");
  if (fixed) {
    await loadPasswordPolicy();
    const check = checkPassword(fixed);
    if (!check.ok) throw new ConfigError([{ variable: "SEED_PASSWORD", message: check.reason }]);
  }
  const app = dataDirHolder(config.dataDir);
  if (!config.databaseUrl) {
    // Taken for the seed's run, so that an app started meanwhile waits for it instead of losing its writes.
    claimDataDir(config.dataDir, { database: "pglite", role: "seed" });
  } else if (app?.database === "pglite") {
    throw new SeedRefused(
      `The app at ${app.url ?? `pid ${app.pid}`} uses the embedded database in ${config.dataDir}, not DATABASE_URL: ` +
        `unset DATABASE_URL to seed it (after stopping the app).`,
    );
  }
  const db = config.databaseUrl ? await openPostgres(config.databaseUrl) : await openPglite(pgliteDir(config.dataDir));
  try {
    await migrate(db);
    const credentials: { role: string; email: string; password: string }[] = [];
    await db.transaction(async (tx) => {
      const [existing] = await tx.query<{ org_id: string }>(
        `SELECT m.org_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE lower(u.email) = $1`,
        [demoEmail("admin")],
      );
      const orgId = existing?.org_id ??
        (await tx.query<{ id: string }>(`INSERT INTO organizations (name) VALUES ($1) RETURNING id`, [DEMO_ORG]))[0].id;
      for (const role of ROLES) {
        const email = demoEmail(role);
        const password = fixed ?? randomToken("", 15);
        const hash = await hashPassword(password);
        const name = `Demo ${role[0].toUpperCase()}${role.slice(1)}`;
        const [user] = await tx.query<{ id: string }>(
          `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
           ON CONFLICT (lower(email)) DO UPDATE
             SET password_hash = excluded.password_hash, status = 'active', failed_logins = 0, locked_until = NULL,
                 tokens_valid_after = now()
           RETURNING id`,
          [email, name, hash],
        );
        await tx.query(
          `INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role`,
          [orgId, user.id, role],
        );
        credentials.push({ role, email, password });
      }
    });
    console.log(`Demo organization "${DEMO_ORG}" — sign in at ${app?.url ?? configuredUrl(config)}/login\n`);
    for (const c of credentials) console.log(`  ${c.role.padEnd(8)} ${c.email.padEnd(30)} ${c.password}`);
  } finally {
    await db.close();
    if (!config.databaseUrl) releaseDataDir(config.dataDir);
  }
} catch (e) {
  if (e instanceof DataDirInUseError) {
    console.error(
      `${e.holder.role === "app" ? "The app" : "Another seed"} is running on ${e.dataDir} (pid ${e.holder.pid}` +
        `${e.holder.url ? `, ${e.holder.url}` : ""}), and the embedded database takes one process at a time: ` +
        `users written now would be lost. Stop it (Ctrl-C), run \`deno task seed\` again, then start the app.`,
    );
  } else {
    console.error(
      e instanceof ConfigError || e instanceof SeedRefused
        ? e.message
        : `seed failed: ${e instanceof Error ? e.message : e}`,
    );
  }
  Deno.exit(1);
}
