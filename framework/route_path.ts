/**
 * File route conventions (Fresh 2): a file's path under routes/ is its URL.
 * `index` is the folder itself, `[id]` a parameter, `[...rest]` the rest of the
 * path, `(group)` folders scope layouts and middleware without a URL segment,
 * and `_`-prefixed files are special (app, layout, middleware, error pages).
 */
export type SpecialKind = "app" | "layout" | "middleware" | "404" | "500" | "error";

export interface RouteFile {
  /** Manifest key, e.g. `./routes/market/[zone].tsx`. */
  key: string;
  /** Folder chain under routes/, including groups, e.g. ["(app)", "market"]. */
  dirs: string[];
  special: SpecialKind | null;
  /** Hono path, e.g. `/market/:zone`, `/docs/*`; null for special files. */
  pattern: string | null;
  /** Parameter names in order; a catch-all is the last one. */
  paramNames: string[];
  catchAll: string | null;
}

const SPECIAL: Record<string, SpecialKind> = {
  _app: "app",
  _layout: "layout",
  _middleware: "middleware",
  _404: "404",
  _500: "500",
  _error: "error",
};

export function parseRouteFile(key: string): RouteFile {
  const rel = key.replace(/^\.\/routes\//, "").replace(/\.(tsx|ts|jsx|js)$/, "");
  const parts = rel.split("/");
  const name = parts.pop()!;
  const dirs = parts;
  if (name.startsWith("_")) {
    const special = SPECIAL[name];
    if (!special) throw new Error(`Unknown special route file ${key} (expected one of ${Object.keys(SPECIAL)})`);
    return { key, dirs, special, pattern: null, paramNames: [], catchAll: null };
  }
  const segments: string[] = [];
  const paramNames: string[] = [];
  let catchAll: string | null = null;
  for (const seg of [...dirs, name]) {
    if (/^\(.+\)$/.test(seg)) continue;
    if (seg === "index" && seg === name) continue;
    const rest = seg.match(/^\[\.\.\.(\w+)\]$/);
    if (rest) {
      catchAll = rest[1];
      paramNames.push(rest[1]);
      segments.push(`:${rest[1]}{.+}`);
      continue;
    }
    const param = seg.match(/^\[(\w+)\]$/);
    if (param) {
      paramNames.push(param[1]);
      segments.push(`:${param[1]}`);
      continue;
    }
    if (/[\[\]]/.test(seg)) throw new Error(`Unsupported route segment "${seg}" in ${key}`);
    segments.push(seg);
  }
  return { key, dirs, special: null, pattern: "/" + segments.join("/"), paramNames, catchAll };
}

/**
 * Order in which routes are tried: static segments before parameters before
 * catch-alls, compared segment by segment; longer before shorter on a tie.
 */
export function compareRoutes(a: string, b: string): number {
  const sa = a.split("/").filter(Boolean);
  const sb = b.split("/").filter(Boolean);
  const rank = (s: string) => (s === "*" || s.endsWith("{.+}") ? 2 : s.startsWith(":") ? 1 : 0);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    // A prefix comes first unless the longer pattern continues with a catch-all.
    if (sa[i] === undefined) return -1;
    if (sb[i] === undefined) return 1;
    const d = rank(sa[i]) - rank(sb[i]);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

/** `/market/:zone` → `/market/{zone}` for OpenAPI. */
export function toOpenApiPath(pattern: string): string {
  return pattern.replace(/:(\w+)(\{\.\+\})?/g, "{$1}");
}

/** Is folder chain `outer` a prefix of `inner` (so its layout/middleware applies)? */
export function scopeApplies(outer: string[], inner: string[]): boolean {
  return outer.length <= inner.length && outer.every((d, i) => inner[i] === d);
}
