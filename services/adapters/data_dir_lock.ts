/**
 * Who is using DATA_DIR: `DATA_DIR/app.pid`, a JSON record of the running app (its pid, URL and
 * kind of database). PGlite is one process's database: a second process opening `DATA_DIR/pg`
 * (`deno task seed` while the app runs) writes to files the first one overwrites, and what it wrote
 * is silently lost. The app holds the record while it runs; the seed and a second app read it and
 * refuse. A record whose process is gone (a crash, SIGKILL) is stale and taken over.
 */

export interface DataDirHolder {
  pid: number;
  /** Where the app listens, once it does. */
  url?: string;
  database: "pglite" | "postgres";
  /** What holds it: the app, or a tool such as the seed. */
  role: "app" | "seed";
}

export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string, readonly holder: DataDirHolder) {
    super(
      `${dataDir} is in use by ${
        holder.role === "app" ? "the app" : `\`deno task ${holder.role}\``
      } (pid ${holder.pid}` +
        `${holder.url ? `, ${holder.url}` : ""}); stop it first`,
    );
    this.name = "DataDirInUseError";
  }
}

const lockFile = (dataDir: string): string => `${dataDir}/app.pid`;

function alive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    // A zombie has exited; only its parent has not reaped it yet.
    return !Deno.readTextFileSync(`/proc/${pid}/stat`).replace(/^.*\) /s, "").startsWith("Z");
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return processExists(pid);
    try {
      Deno.statSync("/proc/self");
      return false; // /proc works here: the process is gone
    } catch {
      return processExists(pid);
    }
  }
}

/** Where there is no /proc (macOS): ask `ps`. */
function processExists(pid: number): boolean {
  try {
    return new Deno.Command("ps", { args: ["-p", String(pid)], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return true; // cannot tell: assume it runs rather than risk two writers
  }
}

/** The live holder of DATA_DIR, or null (none, unreadable, or its process is gone). */
export function dataDirHolder(dataDir: string): DataDirHolder | null {
  let holder: DataDirHolder;
  try {
    holder = JSON.parse(Deno.readTextFileSync(lockFile(dataDir)));
  } catch {
    return null;
  }
  return typeof holder?.pid === "number" && alive(holder.pid) ? holder : null;
}

/**
 * Takes DATA_DIR for this process, or throws DataDirInUseError naming the live holder. A stale record
 * is replaced; the file is created exclusively, so of two processes starting at once one wins.
 */
export function claimDataDir(dataDir: string, me: Omit<DataDirHolder, "pid">): void {
  Deno.mkdirSync(dataDir, { recursive: true });
  const record = JSON.stringify({ pid: Deno.pid, ...me });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      Deno.writeTextFileSync(lockFile(dataDir), record, { createNew: true });
      return;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const holder = dataDirHolder(dataDir);
    if (holder?.pid === Deno.pid) {
      Deno.writeTextFileSync(lockFile(dataDir), record);
      return;
    }
    if (holder) throw new DataDirInUseError(dataDir, holder);
    try {
      Deno.removeSync(lockFile(dataDir)); // stale
    } catch { /* another process removed it first */ }
  }
  throw new Error(`could not take ${lockFile(dataDir)}`);
}

/** Adds what became known later (the URL once listening) to this process's record. */
export function updateDataDirClaim(dataDir: string, me: Omit<DataDirHolder, "pid">): void {
  const holder = dataDirHolder(dataDir);
  if (holder && holder.pid !== Deno.pid) return; // another process's
  Deno.writeTextFileSync(lockFile(dataDir), JSON.stringify({ pid: Deno.pid, ...me }));
}

/** Gives DATA_DIR back, if this process holds it. */
export function releaseDataDir(dataDir: string): void {
  try {
    if (JSON.parse(Deno.readTextFileSync(lockFile(dataDir))).pid === Deno.pid) Deno.removeSync(lockFile(dataDir));
  } catch { /* absent or unreadable: nothing of ours */ }
}
