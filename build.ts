/** `deno task build`: route manifest, island bundles, Tailwind CSS, hashed assets. */
import { build } from "./framework/build.ts";
import config from "./fresh.config.ts";

export async function buildApp(log?: (msg: string) => void): Promise<void> {
  // The build copies files out of node_modules (the API reference bundle); a fresh clone may not have them yet.
  for (const file of Object.values(config.build.extraFiles)) {
    try {
      await Deno.stat(new URL(file, config.root));
    } catch {
      const out = await new Deno.Command(Deno.execPath(), { args: ["install"], cwd: config.root, stdout: "null" })
        .output();
      if (!out.success) throw new Error(`deno install failed: ${new TextDecoder().decode(out.stderr)}`);
      break;
    }
  }
  await build({ root: config.root, css: config.build.css, extraFiles: config.build.extraFiles, log });
}

if (import.meta.main) await buildApp();
