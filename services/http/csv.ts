/**
 * A CSV download streamed a page at a time: `pages` yields the rows of one
 * page of a keyset-paged read, so a long export is never built in memory and
 * the next page is read only when the client has taken the previous one.
 */
export function csvResponse(filename: string, header: string, pages: AsyncIterable<string[]>): Response {
  const encoder = new TextEncoder();
  async function* chunks() {
    yield encoder.encode(header + "\n");
    for await (const rows of pages) if (rows.length) yield encoder.encode(rows.join("\n") + "\n");
  }
  return new Response(ReadableStream.from(chunks()), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "no-store",
    },
  });
}

/** A CSV field: quoted when it holds a comma, quote or line break. */
export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
