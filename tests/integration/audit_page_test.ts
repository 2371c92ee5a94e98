/**
 * The admins' audit page: the organization's log as a server-rendered table,
 * filtered by actor, action and time, paged with the API's cursor; admins only.
 */
import assert from "node:assert/strict";
import { addMember, call, createOrg, expectStatus, login, type Member, opts } from "../helpers/auth.ts";
import { testApp, uniqueIp } from "../helpers/test_app.ts";

const t = await testApp();

async function view(m: Member | null, query = ""): Promise<{ status: number; html: string; location: string | null }> {
  const res = await t.fetch(`/admin/audit${query ? `?${query}` : ""}`, {
    headers: m ? { cookie: `ob_at=${m.tokens.access_token}` } : {},
    redirect: "manual",
    ip: m?.ip ?? uniqueIp(),
  });
  return { status: res.status, html: await res.text(), location: res.headers.get("location") };
}

/** The rows' `data-action`s, in page order. */
const actions = (html: string) => [...html.matchAll(/<tr[^>]*data-action="([^"]+)"/g)].map((m) => m[1]);
const ids = (html: string) => [...html.matchAll(/<tr[^>]*data-audit-id="(\d+)"/g)].map((m) => m[1]);
const olderLink = (html: string) => /<a[^>]*rel="next"[^>]*href="([^"]+)"/.exec(html)?.[1]?.replaceAll("&amp;", "&");

Deno.test("audit page: the organization's entries, newest first; linked from the admin pages", opts, async () => {
  const org = await createOrg(t, "auditpage");
  const trader = await addMember(t, org, "trader", "audit-trader");
  expectStatus(await login(t, trader, { password: "wrong-Password-000", ip: trader.ip }), 401);
  const other = await createOrg(t, "auditpage-other");

  const page = await view(org.admin);
  assert.equal(page.status, 200, page.html.slice(0, 500));
  const seen = actions(page.html);
  for (const a of ["org.created", "auth.register", "invitation.created", "invitation.accepted", "auth.login_failed"]) {
    assert.ok(seen.includes(a), `${a} listed: ${seen.join(", ")}`);
  }
  assert.equal(seen.at(-1), "org.created", "oldest last");
  assert.match(page.html, new RegExp(trader.email.replace(/[.+]/g, "\\$&")), "actors by e-mail");
  assert.doesNotMatch(page.html, new RegExp(other.admin.email.replace(/[.+]/g, "\\$&")), "no other organization");
  assert.match(page.html, /href="\/admin\/audit"[^>]*aria-current="page"/, "the admin tabs");

  const usersPage = await t.fetch("/admin/users", { headers: { cookie: `ob_at=${org.admin.tokens.access_token}` } });
  assert.match(await usersPage.text(), /href="\/admin\/audit"/, "linked from the members page");
});

Deno.test(
  "audit page: filters by actor, action family and time; bad filters are errors beside them",
  opts,
  async () => {
    const org = await createOrg(t, "auditfilter");
    const trader = await addMember(t, org, "trader", "auditf-trader");
    expectStatus(await login(t, trader, { password: "wrong-Password-000", ip: trader.ip }), 401);

    const byActor = await view(org.admin, `actor=${trader.userId}`);
    assert.equal(byActor.status, 200);
    assert.deepEqual(
      [...new Set(actions(byActor.html))].sort(),
      ["auth.login_failed", "auth.register", "invitation.accepted"],
    );
    const family = await view(org.admin, "action=invitation.*");
    assert.deepEqual(actions(family.html).sort(), ["invitation.accepted", "invitation.created"]);
    const exact = await view(org.admin, "action=auth.login_failed");
    assert.deepEqual(actions(exact.html), ["auth.login_failed"]);

    const future = new Date(Date.now() + 3_600_000).toISOString().slice(0, 16);
    const none = await view(org.admin, `from=${encodeURIComponent(future)}`);
    assert.equal(none.status, 200);
    assert.deepEqual(actions(none.html), []);
    assert.match(none.html, /data-testid="audit-empty"/);
    const past = new Date(Date.now() - 3_600_000).toISOString().slice(0, 16);
    const recent = await view(org.admin, `from=${encodeURIComponent(past)}&to=${encodeURIComponent(future)}`);
    assert.ok(actions(recent.html).length >= 4);

    for (
      const [query, field] of [
        ["action=DROP%20TABLE", "action"],
        ["actor=not-a-uuid", "actor"],
        ["from=yesterday", "from"],
        [`from=${encodeURIComponent(future)}&to=${encodeURIComponent(past)}`, "to"],
      ]
    ) {
      const bad = await view(org.admin, query);
      assert.equal(bad.status, 400, query);
      assert.match(bad.html, new RegExp(`data-field-error="${field}"`), `${query}: error beside ${field}`);
    }
    assert.equal((await view(org.admin, "cursor=abc")).status, 400);
  },
);

Deno.test("audit page: pages with the API's cursor, as the API does", opts, async () => {
  const org = await createOrg(t, "auditpages");
  for (let i = 0; i < 3; i++) await addMember(t, org, "viewer", `auditp-${i}`);
  const all = ids((await view(org.admin, "limit=200")).html);
  assert.ok(all.length >= 8, `enough entries: ${all.length}`);

  const walked: string[] = [];
  let query = "limit=3";
  for (let pages = 0; pages < 10; pages++) {
    const p = await view(org.admin, query);
    assert.equal(p.status, 200);
    walked.push(...ids(p.html));
    const next = olderLink(p.html);
    if (!next) break;
    assert.match(next, /limit=3/, "the filters carry over");
    query = next.replace(/^\/admin\/audit\?/, "");
    if (pages === 0) assert.match(p.html, /data-audit-id/);
  }
  assert.deepEqual(walked, all, "the pages together are the log, in order, each entry once");

  // The same cursor means the same page on the API.
  const second = await view(org.admin, `limit=3&cursor=${all[2]}`);
  const api = await call(t, "GET", `/api/admin/audit-logs?limit=3&cursor=${all[2]}`, {
    token: org.admin.tokens.access_token,
  });
  expectStatus(api, 200);
  assert.deepEqual(ids(second.html), api.body.items.map((e: { id: string }) => e.id));
  assert.match(second.html, /← Newest/);
});

Deno.test("audit page: admins only; a login first", opts, async () => {
  const org = await createOrg(t, "auditauth");
  const trader = await addMember(t, org, "trader", "audita-trader");
  assert.equal((await view(trader)).status, 403);
  const anonymous = await view(null);
  assert.equal(anonymous.status, 303);
  assert.match(anonymous.location ?? "", /^\/login\?next=%2Fadmin%2Faudit/);
});
