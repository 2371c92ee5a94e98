/**
 * Which statements run as named prepared statements. postgres.js' `unsafe()` (how every query here is sent)
 * does not prepare by default: each call then costs two round trips (Parse and Describe, wait for the
 * parameter types, then Bind and Execute) and the server parses and plans the text again. Measured on
 * POST /api/bids: Postgres' CPU a bid 250–297 µs unprepared, 180–192 µs prepared, and 3,540–3,882 bids/s
 * saturated against 4,072–4,111.
 *
 * A prepared statement stays on its connection (postgres.js keeps no limit), so only the first `limit`
 * distinct texts are ever prepared: a text built with a varying number of placeholders cannot grow every
 * connection's statements without bound; past the limit a new text runs unnamed, as before. A caller whose texts
 * vary by inlined constants and are costly to keep (the analytics panels) asks for `prepare: false`
 * (db/database.ts `QueryOptions`).
 */
export function preparedTexts(limit = 500): (text: string, params: readonly unknown[]) => boolean {
  const texts = new Set<string>();
  return (text, params) => {
    // Without parameters postgres.js sends the simple protocol, which has nothing to prepare.
    if (params.length === 0) return false;
    if (texts.has(text)) return true;
    if (texts.size >= limit) return false;
    texts.add(text);
    return true;
  };
}
