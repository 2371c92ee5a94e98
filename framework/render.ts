/** Server rendering of a page route: `_app` → layouts → page, islands marked, state and boot script appended. */
import { type ComponentType, Fragment, h, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { type IslandRegistry, withIslandMarking } from "./islands.ts";
import { stringifyForHtml } from "./serialize.ts";
import type { BuildInfo, PageComponent, PageProps } from "./types.ts";

export interface RenderRequest {
  // deno-lint-ignore no-explicit-any
  app: PageComponent<any, any> | null;
  // deno-lint-ignore no-explicit-any
  layouts: PageComponent<any, any>[];
  // deno-lint-ignore no-explicit-any
  page: PageComponent<any, any>;
  props: Omit<PageProps, "Component">;
}

const Empty: ComponentType<Record<string, never>> = () => null;

/** Page components may be async (data loading in the page); they are resolved before the synchronous render. */
async function resolve(
  // deno-lint-ignore no-explicit-any
  component: PageComponent<any, any>,
  props: PageProps,
): Promise<VNode | null> {
  return await component(props);
}

export async function renderPage(req: RenderRequest, registry: IslandRegistry, build: BuildInfo | null) {
  const base = req.props;
  let inner: VNode | null = await resolve(req.page, { ...base, Component: Empty });
  for (const layout of [...req.layouts].reverse()) {
    const child = inner;
    inner = await resolve(layout, { ...base, Component: () => child ?? h(Fragment, null) });
  }
  if (req.app) {
    const child = inner;
    inner = await resolve(req.app, { ...base, Component: () => child ?? h(Fragment, null) });
  }
  const state = { registry, props: [] as unknown[], used: new Set<string>(), depth: 0 };
  let html = asciiHtml(withIslandMarking(state, () => renderToString(inner ?? h(Fragment, null))));
  if (state.used.size > 0) {
    html = injectBeforeBodyEnd(html, islandScripts(state.used, state.props, build));
  }
  return html.startsWith("<html") ? "<!DOCTYPE html>" + html : html;
}

/**
 * The page with every character beyond ASCII written as a character reference (`—` as `&#x2014;`), which
 * a browser reads back as the same text, in content and attribute values alike. A string of ASCII only is
 * one byte per character in V8, and Deno sends such a body as it is; one other character anywhere makes the
 * whole page a two-byte string re-encoded on every response, measured at 2.6× the server's time per request
 * for a 30 KB page. Pages have no inline script or style whose text would not decode references: island
 * props are JSON escaped on their own (`stringifyForHtml`), so this pass never meets them. The C1 controls
 * (U+0080–U+009F) stay as they are: a browser reads `&#x85;` as "…" (the Windows-1252 character of that
 * byte), not as the control, and a page holding one is merely not ASCII.
 */
export function asciiHtml(html: string): string {
  return html.replace(/[\u00a0-\u{10ffff}]/gu, (c) => `&#x${c.codePointAt(0)!.toString(16)};`);
}

function islandScripts(used: Set<string>, props: unknown[], build: BuildInfo | null): string {
  if (!build?.boot) {
    throw new Error("This page has islands but no client build was found: run `deno task build`.");
  }
  const modules: Record<string, string> = {};
  for (const key of used) {
    const url = build.islands[key];
    if (!url) throw new Error(`Island "${key}" is missing from the client build: run \`deno task build\`.`);
    modules[key] = url;
  }
  const preload = Object.values(modules).map((u) => `<link rel="modulepreload" href="${u}">`).join("");
  return `${preload}<script type="application/json" id="__FRSH_STATE">${
    stringifyForHtml({ islands: modules, props })
  }</script><script type="module" src="${build.boot}"></script>`;
}

function injectBeforeBodyEnd(html: string, snippet: string): string {
  const at = html.lastIndexOf("</body>");
  return at === -1 ? html + snippet : html.slice(0, at) + snippet + html.slice(at);
}
