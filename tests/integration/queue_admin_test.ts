/** Dead letters of the queue in the health report, and their re-drive through the admin API. */
import assert from "node:assert/strict";
import { call, createOrg, expectStatus, opts, orgWithAllRoles } from "../helpers/auth.ts";
import { testApp, uniqueEmail } from "../helpers/test_app.ts";
import { envelope } from "../../services/queue/wire.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "queue dead letters: counted in the health report, re-driven by the platform operator only",
  ...opts,
  async fn() {
    const OPERATOR = uniqueEmail("queue-operator");
    const t = await testApp({ OPERATOR_EMAILS: OPERATOR });
    const { members } = await orgWithAllRoles(t, "redrive");
    const operator = await createOrg(t, "operations", { email: OPERATOR });
    const topic = `test.redrive.${crypto.randomUUID().slice(0, 8)}`;
    const handled: string[] = [];
    const unsubscribe = t.services.queue.subscribe(topic, "test", (msg) => {
      handled.push(msg.idempotencyKey);
      return Promise.resolve();
    });
    try {
      // What the KV queue writes when a message runs out of retries.
      const kv = t.services.kv();
      for (const k of ["d1", "d2"]) {
        await kv.set(["queue_dead", topic, k], envelope(topic, { k }, { idempotencyKey: k }));
      }
      const counted = await t.services.queue.deadLetterCount();
      assert.ok(counted >= 2, `counted ${counted}`);
      t.services.queue.deadLetters(); // the health figure is refreshed in the background
      let figure: number | null | undefined = null;
      for (let i = 0; i < 100 && !(figure && figure >= 2); i++) {
        figure = t.services.healthReport().body.queue?.dead_letters;
        await sleep(20);
      }
      assert.ok(figure && figure >= 2, `health report shows the dead letters (${figure})`);

      // Dead letters span every organization: an organization's admin is not enough.
      for (const role of ["admin", "trader", "analyst", "viewer"] as const) {
        const r = await call(t, "POST", `/api/admin/queue/redrive?topic=${topic}`, {
          token: members[role].tokens.access_token,
          ip: members[role].ip,
        });
        expectStatus(r, 403, role);
      }
      const r = await call(t, "POST", `/api/admin/queue/redrive?topic=${topic}`, {
        token: operator.admin.tokens.access_token,
        ip: operator.admin.ip,
      });
      expectStatus(r, 200, "operator redrive");
      assert.equal(r.body.redriven, 2);
      for (let i = 0; i < 250 && handled.length < 2; i++) await sleep(20);
      assert.deepEqual(handled.sort(), ["d1", "d2"], "the re-driven messages are delivered");
      assert.equal((await kv.get(["queue_dead", topic, "d1"])).value, null, "no longer parked");

      const again = await call(t, "POST", `/api/admin/queue/redrive?topic=${topic}`, {
        token: operator.admin.tokens.access_token,
        ip: operator.admin.ip,
      });
      expectStatus(again, 200);
      assert.equal(again.body.redriven, 0, "nothing twice");
    } finally {
      await unsubscribe();
    }
  },
});
