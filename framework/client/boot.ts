/// <reference lib="dom" />
/**
 * Browser entry: hydrate each `<fresh-island>` with its serialised props.
 * Only pages with islands load this file; island modules are loaded in parallel.
 */
import { h, hydrate } from "preact";
import { signal } from "@preact/signals";
import { revive } from "../serialize.ts";

interface BootState {
  islands: Record<string, string>;
  props: unknown[];
}

async function boot(): Promise<void> {
  const el = document.getElementById("__FRSH_STATE");
  if (!el?.textContent) return;
  const state = JSON.parse(el.textContent) as BootState;
  const props = revive(state.props, (v) => signal(v)) as Record<string, unknown>[];
  const modules = new Map<string, Promise<Record<string, unknown>>>();
  for (const [key, url] of Object.entries(state.islands)) modules.set(key, import(url));
  const nodes = Array.from(document.querySelectorAll<HTMLElement>("fresh-island"));
  await Promise.all(nodes.map(async (node) => {
    const key = node.dataset.island!;
    const mod = await modules.get(key);
    if (!mod) return;
    const exportName = key.includes("#") ? key.split("#")[1] : "default";
    const component = mod[exportName] as Parameters<typeof h>[0];
    hydrate(h(component, props[Number(node.dataset.props)]), node);
    node.dataset.hydrated = "true";
  }));
  document.documentElement.dataset.islandsHydrated = "true";
}

boot().catch((e) => console.error("island hydration failed", e));
