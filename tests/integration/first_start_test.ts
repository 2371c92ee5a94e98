/**
 * A newcomer's first `deno task start`: a fresh checkout (no node_modules/, no client build) and an
 * empty DATA_DIR. What it prints is a handful of lines, one per stage, with the URL to open; not the
 * package manager's progress (one line per npm package) nor warnings nobody can act on.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAX_LINES = 12;

/** The repository's files as a fresh clone has them: tracked and new ones, nothing ignored (node_modules, _fresh). */
async function freshCheckout(): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  assert.ok(out.success, "git ls-files");
  const dir = await Deno.makeTempDir({ prefix: "optibid-checkout-" });
  for (const file of new TextDecoder().decode(out.stdout).split("\0").filter(Boolean)) {
    const from = `${ROOT}${file}`;
    try {
      if (!(await Deno.lstat(from)).isFile) continue; // a symlink (node_modules in a worktree), or deleted
    } catch {
      continue;
    }
    const to = `${dir}/${file}`;
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(from, to);
  }
  return dir;
}

Deno.test({
  name: "first start from a fresh checkout prints a few lines with the URL",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const checkout = await freshCheckout();
    const dataDir = await Deno.makeTempDir({ prefix: "optibid-first-" });
    const child = new Deno.Command(Deno.execPath(), {
      args: ["task", "start"],
      cwd: checkout,
      // No color codes, as in a log file; the same package cache as this process (no network needed).
      env: { PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines: string[] = [];
    const collect = async (stream: ReadableStream<Uint8Array<ArrayBuffer>>) => {
      let buf = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        const parts = buf.split("\n");
        buf = parts.pop()!;
        lines.push(...parts.filter((l) => l.trim()));
      }
      if (buf.trim()) lines.push(buf);
    };
    const reading = Promise.all([collect(child.stdout), collect(child.stderr)]);
    try {
      let url: string | null = null;
      const giveUp = Date.now() + 240_000;
      while (!url && Date.now() < giveUp) {
        url = lines.map((l) => l.match(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/)?.[1]).find(Boolean) ?? null;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(url, `prints the URL; got:\n${lines.join("\n")}`);
      let ready = false;
      while (!ready && Date.now() < giveUp) {
        const res = await fetch(`${url}/health/ready`).catch(() => null);
        await res?.body?.cancel();
        ready = res?.status === 200;
        if (!ready) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(ready, "becomes ready");
      await new Promise((r) => setTimeout(r, 1_000)); // anything printed right after readiness counts too

      // The access log of this test's own readiness probes is not start-up output.
      const startup = lines.filter((l) => !l.includes(`"msg":"request"`));
      const text = startup.join("\n");
      assert.doesNotMatch(text, /Initialize|Download/, "no package-manager progress");
      assert.doesNotMatch(text, /Warning|build scripts|approve-scripts/i, "no warning a newcomer cannot act on");
      assert.ok(startup.length <= MAX_LINES, `at most ${MAX_LINES} lines, got ${startup.length}:\n${text}`);
    } finally {
      // `deno task` runs the app as a child of its own: stop the app by the pid it records in DATA_DIR.
      try {
        const { pid } = JSON.parse(await Deno.readTextFile(`${dataDir}/app.pid`));
        Deno.kill(pid, "SIGTERM");
      } catch { /* not started */ }
      const stopped = await Promise.race([
        child.status,
        new Promise<null>((r) => setTimeout(() => r(null), 20_000)),
      ]);
      if (!stopped) child.kill("SIGKILL");
      await reading.catch(() => {});
      await Deno.remove(checkout, { recursive: true }).catch(() => {});
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
