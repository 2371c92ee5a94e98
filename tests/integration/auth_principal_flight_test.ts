import assert from "node:assert/strict";
import { createOrg, opts } from "../helpers/auth.ts";
import { testApp } from "../helpers/test_app.ts";

Deno.test(
  "an expired principal costs one lookup however many requests of the session are in flight",
  opts,
  async () => {
    const t = await testApp();
    const org = await createOrg(t, "flight");
    const token = org.admin.tokens.access_token;
    const auth = t.services.auth;
    const db = t.services.db();
    const query = db.query;
    let lookups = 0;
    // Counts the queries that resolve a principal from a token (user, membership and the session's refresh family).
    db.query = ((text: string, params?: unknown[]) => {
      if (/\bmemberships\b/.test(text) && /\brefresh_tokens\b/.test(text)) lookups++;
      return query.call(db, text, params);
    }) as typeof db.query;
    try {
      auth.principals.bump(); // as when an entry expires
      const results = await Promise.all(Array.from({ length: 50 }, () => auth.fromBearer(token)));
      assert.ok(results.every((r) => r.ok && r.principal.orgId === org.id));
      assert.equal(lookups, 1, "50 requests in flight, one lookup");
      await auth.fromBearer(token);
      assert.equal(lookups, 1, "then served from the cache");
      auth.principals.bump();
      await auth.fromBearer(token);
      assert.equal(lookups, 2, "a change forgets it: looked up again");
    } finally {
      db.query = query;
    }
  },
);
