/**
 * The one list shape of the API: `{ items, next_cursor }`. A page is read by keyset (the sort key of its
 * last row), never by offset, so rows added or removed meanwhile neither repeat nor vanish between pages;
 * `next_cursor` is null on the last page, and passed back as `cursor` it gives the next one.
 *
 * The cursor is opaque to clients: base64url of the last row's sort key as a JSON array. A cursor that does
 * not decode to a key of the expected shape is refused (400 `invalid_cursor`), never passed to SQL.
 */
import { z } from "zod";
import { invalid } from "./errors.ts";

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

/** `limit` and `cursor` of a list's query string. */
export function pageQuery(opts: { defaultLimit: number; maxLimit: number }) {
  return z.object({
    limit: z.coerce.number().int().min(1).max(opts.maxLimit).default(opts.defaultLimit)
      .describe(`Page size, 1–${opts.maxLimit}`),
    cursor: z.string().max(500).optional().describe("The previous page's `next_cursor`"),
  });
}

/** The response schema of a list of `item`. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

/** A whole list in one page (a fixed, small set such as the zones): the same shape, no further page. */
export function onePage<T>(items: T[]): Page<T> {
  return { items, next_cursor: null };
}

type KeyPart = string | number;

function encodeCursor(key: readonly KeyPart[]): string {
  const bytes = new TextEncoder().encode(JSON.stringify(key));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The sort key in `cursor`, checked against `shape` (one zod schema per key part); undefined without a
 * cursor. `path` names the parameter in the 400's details.
 */
export function decodeCursor<const S extends readonly z.ZodType[]>(
  cursor: string | undefined,
  shape: S,
  path = "query.cursor",
): { [K in keyof S]: z.infer<S[K]> } | undefined {
  if (cursor === undefined) return undefined;
  const refuse = () =>
    invalid("cursor: not a cursor from a previous page of this list", {
      code: "invalid_cursor",
      details: [{ path, message: "not a cursor from a previous page of this list" }],
    });
  let key: unknown;
  try {
    const b64 = cursor.replace(/-/g, "+").replace(/_/g, "/");
    key = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))),
    );
  } catch {
    throw refuse();
  }
  const parsed = z.tuple(shape as unknown as [z.ZodType, ...z.ZodType[]]).safeParse(key);
  if (!parsed.success) throw refuse();
  return parsed.data as { [K in keyof S]: z.infer<S[K]> };
}

/**
 * The page of `rows`, which were read with `LIMIT limit + 1` after the cursor: the extra row only says that
 * there is a next page; the cursor is the key of the last row kept.
 */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => readonly KeyPart[]): Page<T> {
  if (rows.length <= limit) return { items: rows, next_cursor: null };
  const items = rows.slice(0, limit);
  return { items, next_cursor: encodeCursor(keyOf(items[items.length - 1])) };
}
