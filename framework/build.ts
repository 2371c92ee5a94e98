/**
 * `deno task build`: the route manifest, island bundles (one `deno bundle` run
 * with code splitting, so Preact and signals exist once in the graph), Tailwind
 * CSS, and `_fresh/build.json` naming the content-hashed files.
 */
import { sha256Hex } from "../services/crypto/sha256.ts";
import { writeManifest } from "./manifest.ts";
import type { BuildInfo } from "./types.ts";

export interface BuildOptions {
  root: URL;
  /** Tailwind input, relative to root. */
  css?: string;
  /** Extra files copied into the build with a hash: logical name → path (relative to root or node_modules). */
  extraFiles?: Record<string, string>;
  minify?: boolean;
  log?: (msg: string) => void;
}

export const OUT_DIR = "_fresh/";

async function sha(data: Uint8Array | string): Promise<string> {
  return (await sha256Hex(data)).slice(0, 12);
}

async function run(args: string[], cwd: URL): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`deno ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

// Synchronous on purpose: `start` hashes a few hundred small files before it serves, and one
// async operation per directory and file costs more than the reading itself.
function walk(dir: URL, prefix = ""): string[] {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isDirectory) out.push(...walk(new URL(e.name + "/", dir), prefix + e.name + "/"));
      else out.push(prefix + e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
}

/** Hash of everything the client build depends on, so `start` rebuilds only when it changed. */
export async function sourceHash(root: URL, css = "static/styles.css"): Promise<string> {
  const parts: string[] = [];
  for (const dir of ["islands/", "components/", "routes/", "framework/client/", "services/"]) {
    for (const f of walk(new URL(dir, root))) {
      if (!/\.(tsx?|jsx?|css)$/.test(f)) continue;
      parts.push(dir + f, Deno.readTextFileSync(new URL(dir + f, root)));
    }
  }
  for (const f of [css, "deno.json", "framework/serialize.ts"]) {
    try {
      parts.push(f, Deno.readTextFileSync(new URL(f, root)));
    } catch { /* optional */ }
  }
  return await sha(parts.join("\0"));
}

export async function readBuildInfo(root: URL): Promise<BuildInfo | null> {
  try {
    return JSON.parse(await Deno.readTextFile(new URL(OUT_DIR + "build.json", root))) as BuildInfo;
  } catch {
    return null;
  }
}

export async function build(opts: BuildOptions): Promise<BuildInfo> {
  const { root } = opts;
  const log = opts.log ?? ((m: string) => console.log(m));
  const t0 = performance.now();
  if (await writeManifest(root)) log("route manifest updated: fresh.gen.ts");

  const out = new URL(OUT_DIR + "static/", root);
  const tmp = new URL(OUT_DIR + "tmp/", root);
  await Deno.remove(new URL(OUT_DIR, root), { recursive: true }).catch(() => {});
  await Deno.mkdir(out, { recursive: true });
  await Deno.mkdir(tmp, { recursive: true });

  // Islands: one bundle run over boot + every island, code-split into shared chunks.
  const islandFiles = walk(new URL("islands/", root)).filter((f) => /\.(tsx|ts|jsx|js)$/.test(f));
  const islands: Record<string, string> = {};
  let boot: string | null = null;
  if (islandFiles.length) {
    // The server compiles JSX with "precompile" (string templates, fast SSR); those templates
    // only render on the server, so the browser bundle is compiled with the automatic runtime.
    const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
    denoJson.compilerOptions = { ...denoJson.compilerOptions, jsx: "react-jsx", jsxImportSource: "preact" };
    delete denoJson.tasks;
    const clientConfig = new URL(".deno.client.json", root);
    await Deno.writeTextFile(clientConfig, JSON.stringify(denoJson));
    try {
      await run([
        "bundle",
        "--config",
        clientConfig.pathname,
        "--platform=browser",
        "--code-splitting",
        ...(opts.minify === false ? [] : ["--minify"]),
        "--outdir",
        new URL("bundle/", tmp).pathname,
        "framework/client/boot.ts",
        ...islandFiles.map((f) => `islands/${f}`),
      ], root);
    } finally {
      await Deno.remove(clientConfig).catch(() => {});
    }
    const bundleDir = new URL("bundle/", tmp);
    // Entries are renamed with their content hash; esbuild names shared chunks by hash already.
    const renamed = new Map<string, string>();
    for (const f of walk(bundleDir)) {
      const bytes = await Deno.readFile(new URL(f, bundleDir));
      const isEntry = /(^|\/)boot\.js$/.test(f) || f.startsWith("islands/");
      const target = isEntry ? f.replace(/\.js$/, `-${await sha(bytes)}.js`) : f;
      await Deno.mkdir(new URL(target.replace(/[^/]*$/, ""), out), { recursive: true });
      await Deno.writeFile(new URL(target, out), bytes);
      renamed.set(f, target);
    }
    for (const [from, to] of renamed) {
      if (/(^|\/)boot\.js$/.test(from)) boot = `/_fresh/${to}`;
      const m = from.match(/^islands\/(.+)\.js$/);
      if (m) {
        const mod = await import(
          new URL(`islands/${islandFiles.find((f) => f.replace(/\.(tsx|ts|jsx|js)$/, "") === m[1])}`, root).href
        );
        const name = m[1].replace(/^.*\//, "");
        for (const [exportName, value] of Object.entries(mod)) {
          if (typeof value !== "function") continue;
          islands[exportName === "default" ? name : `${name}#${exportName}`] = `/_fresh/${to}`;
        }
      }
    }
  }

  // CSS: Tailwind v4 scans the sources named by @source in the input file.
  let css: string | null = null;
  if (opts.css) {
    const tmpCss = new URL("styles.css", tmp).pathname;
    await run(["run", "-A", "npm:@tailwindcss/cli@4.3.5", "-i", opts.css, "-o", tmpCss, "--minify"], root);
    const bytes = await Deno.readFile(tmpCss);
    const name = `styles-${await sha(bytes)}.css`;
    await Deno.writeFile(new URL(name, out), bytes);
    css = `/_fresh/${name}`;
  }

  const files: Record<string, string> = {};
  for (const [logical, rel] of Object.entries(opts.extraFiles ?? {})) {
    const bytes = await Deno.readFile(new URL(rel, root));
    const base = rel.replace(/^.*\//, "").replace(/(\.[^.]+)$/, `-${await sha(bytes)}$1`);
    await Deno.writeFile(new URL(base, out), bytes);
    files[logical] = `/_fresh/${base}`;
  }

  await Deno.remove(tmp, { recursive: true });
  const info: BuildInfo = {
    sourceHash: await sourceHash(root, opts.css),
    builtAt: new Date().toISOString(),
    css,
    boot,
    islands,
    files,
  };
  await Deno.writeTextFile(new URL(OUT_DIR + "build.json", root), JSON.stringify(info, null, 2));
  log(
    `built in ${Math.round(performance.now() - t0)} ms: ${Object.keys(islands).length} islands, css ${css ?? "none"}`,
  );
  return info;
}
