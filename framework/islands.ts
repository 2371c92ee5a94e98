/**
 * Island marking. While a page renders, every vnode whose component is an
 * exported island is swapped for a marker that renders the island inside a
 * `<fresh-island data-island="Key" data-props="N">` element (display: contents)
 * and records its props; the boot script hydrates only those elements.
 */
import { type ComponentType, h, options, type VNode } from "preact";
import { SerializationError, toSerializable } from "./serialize.ts";
import type { IslandModule } from "./types.ts";

export interface IslandInfo {
  /** `Name` for a default export of islands/Name.tsx, `Name#Export` for a named one. */
  key: string;
  file: string;
  exportName: string;
  // deno-lint-ignore no-explicit-any
  component: ComponentType<any>;
}

export class IslandRegistry {
  // deno-lint-ignore ban-types
  readonly byComponent = new Map<Function, IslandInfo>();
  readonly byKey = new Map<string, IslandInfo>();

  static fromManifest(islands: Record<string, IslandModule>): IslandRegistry {
    const reg = new IslandRegistry();
    for (const [file, mod] of Object.entries(islands)) {
      const name = islandName(file);
      for (const [exportName, value] of Object.entries(mod)) {
        if (typeof value !== "function") continue;
        const key = exportName === "default" ? name : `${name}#${exportName}`;
        // deno-lint-ignore no-explicit-any
        const info = { key, file, exportName, component: value as ComponentType<any> };
        reg.byComponent.set(value, info);
        reg.byKey.set(key, info);
      }
    }
    return reg;
  }
}

export function islandName(file: string): string {
  const base = file.replace(/^.*\//, "").replace(/\.(tsx|ts|jsx|js)$/, "");
  if (!/^[A-Za-z][\w-]*$/.test(base)) throw new Error(`Island file name "${file}" must be a valid identifier`);
  return base;
}

export interface RenderState {
  registry: IslandRegistry;
  props: unknown[];
  used: Set<string>;
  depth: number;
}

let current: RenderState | null = null;

/** Runs a synchronous render with island marking active (rendering is synchronous, so one slot suffices). */
export function withIslandMarking<T>(state: RenderState, fn: () => T): T {
  if (current) throw new Error("nested page renders are not supported");
  current = state;
  try {
    return fn();
  } finally {
    current = null;
  }
}

// deno-lint-ignore no-explicit-any
function IslandMarker(marker: any): VNode {
  const state = current!;
  const { island, islandProps } = marker as { island: IslandInfo; islandProps: Record<string, unknown> };
  let serialised: unknown;
  try {
    serialised = toSerializable(islandProps, "props");
  } catch (e) {
    if (e instanceof SerializationError) {
      throw new SerializationError(
        `Island "${island.key}": ${e.message}. Island props must be JSON values, Date or signals.`,
      );
    }
    throw e;
  }
  const index = state.props.push(serialised) - 1;
  state.used.add(island.key);
  // Islands rendered inside an island are part of its tree, hydrated by it, not on their own.
  state.depth++;
  return h(
    "fresh-island" as string,
    { "data-island": island.key, "data-props": String(index) },
    h(island.component, islandProps),
  ) as VNode;
}

type HookedVNode = { type: unknown; props: Record<string, unknown> };

// Preact's render-time hooks (mangled names, as Fresh uses them): `__b` runs before a vnode
// renders, `diffed` after its subtree. Marking at render time, not creation time, means
// vnodes created before the render (async pages) are marked too.
type Hook = (vnode: unknown) => void;
const hooks = options as unknown as { __b?: Hook; diffed?: Hook };

const prevDiff = hooks.__b;
hooks.__b = (vnode) => {
  const v = vnode as HookedVNode;
  if (current && current.depth === 0 && typeof v.type === "function") {
    const island = current.registry.byComponent.get(v.type as ComponentType);
    if (island) {
      v.props = { island, islandProps: v.props };
      v.type = IslandMarker;
    }
  }
  prevDiff?.(vnode);
};

const prevDiffed = hooks.diffed;
hooks.diffed = (vnode) => {
  if (current && (vnode as HookedVNode).type === IslandMarker) current.depth--;
  prevDiffed?.(vnode);
};
