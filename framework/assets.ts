/** Maps logical asset paths to the content-hashed files of the current build. */
import type { BuildInfo } from "./types.ts";

let build: BuildInfo | null = null;

export function setBuildInfo(info: BuildInfo | null): void {
  build = info;
}

export function getBuildInfo(): BuildInfo | null {
  return build;
}

/**
 * `asset("/styles.css")` → `/_fresh/styles-3f2a….css`. Unknown paths are returned
 * unchanged so files from static/ keep working.
 */
export function asset(path: string): string {
  if (!build) return path;
  if (path === "/styles.css" && build.css) return build.css;
  return build.files[path] ?? path;
}
