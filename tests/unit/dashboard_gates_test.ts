/** The dashboard's gate list and countdown text: what the server renders and the island ticks. */
import assert from "node:assert/strict";
import { countdownText } from "../../components/countdown.ts";
import { nextGates } from "../../services/dashboard/gates.ts";

Deno.test("next gates: soonest first, zone clock named, rolled over at the closing instant", () => {
  // Monday 2025-03-10 09:00 EDT: PJM's 10:30 gate for Tuesday is 90 minutes away.
  const gates = nextGates(new Date("2025-03-10T13:00:00Z"));
  const pjm = gates.find((g) => g.zone === "PJM")!;
  assert.deepEqual([pjm.delivery_date, pjm.closes_at, pjm.local_time], [
    "2025-03-11",
    "2025-03-10T14:30:00.000Z",
    "10:30 EDT",
  ]);
  // MISO's gate follows Eastern prevailing time although its market clock is EST all year.
  assert.equal(gates.find((g) => g.zone === "MISO")!.local_time, "10:30 EDT");
  assert.equal(gates.find((g) => g.zone === "CAISO")!.local_time, "10:00 PDT");
  assert.deepEqual(gates.map((g) => g.closes_at), gates.map((g) => g.closes_at).toSorted());
  // At the closing instant the gate is closed: the next one is for the day after.
  const rolled = nextGates(new Date(pjm.closes_at), ["PJM"]);
  assert.deepEqual([rolled[0].delivery_date, rolled[0].closes_at], ["2025-03-12", "2025-03-11T14:30:00.000Z"]);
});

Deno.test("countdown text", () => {
  assert.equal(countdownText(5_400_000), "01:30:00");
  assert.equal(countdownText(90_061_000), "1d 01:01:01");
  assert.equal(countdownText(999), "00:00:01", "a part-second left still shows a second");
  assert.equal(countdownText(0), "closed");
  assert.equal(countdownText(-5), "closed");
  assert.equal(countdownText(NaN), "closed");
});
