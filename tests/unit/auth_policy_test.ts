import assert from "node:assert/strict";
import {
  checkPassword,
  loadPasswordPolicy,
  MIN_SCORE,
  PASSWORD_MAX,
  PASSWORD_MIN,
} from "../../services/auth/password_policy.ts";

await loadPasswordPolicy();

const user = ["alice.smith@acme-energy.com", "Alice Smith", "Acme Energy"];

function refused(password: string, inputs?: string[]) {
  const r = checkPassword(password, inputs);
  assert.equal(r.ok, false, `${JSON.stringify(password)} should be refused (score ${r.score})`);
  if (r.ok) throw new Error("unreachable");
  assert.ok(r.reason.length > 0);
  return r;
}

function accepted(password: string, inputs?: string[]) {
  const r = checkPassword(password, inputs);
  assert.equal(r.ok, true, `${JSON.stringify(password)} should be accepted: ${r.ok ? "" : r.reason}`);
  assert.ok(r.score >= MIN_SCORE);
  return r;
}

function randomString(length: number): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%&*+-=?@^_~";
  return Array.from(crypto.getRandomValues(new Uint8Array(length)), (b) => alphabet[b % alphabet.length]).join("");
}

Deno.test("policy: bounds are 12 and 128", () => {
  assert.equal(PASSWORD_MIN, 12);
  assert.equal(PASSWORD_MAX, 128);
});

Deno.test("policy: too short is refused and the reason names the minimum", () => {
  for (const p of ["", "Vq7#zL9!pK2", "short"]) {
    const r = refused(p);
    assert.match(r.reason, /at least 12 characters/);
    assert.equal(r.score, 0);
  }
});

Deno.test("policy: too long is refused and the reason names the maximum", () => {
  const r = refused(randomString(129));
  assert.match(r.reason, /at most 128 characters/);
});

Deno.test("policy: exactly 12 and exactly 128 random characters are accepted", () => {
  accepted("Vq7#zL9!pK2m");
  accepted(randomString(128));
});

Deno.test("policy: length is counted in characters after normalisation, not UTF-16 units", () => {
  // 12 emoji are 24 UTF-16 units but 12 characters; 11 of them must stay too short.
  const r = refused("🔥🌊🍀🎲🚲🧩🪁🎻🦉🌵🍄");
  assert.match(r.reason, /at least 12/);
});

Deno.test("policy: common passwords are refused with zxcvbn's feedback in the reason", () => {
  for (const p of ["password123456", "qwertyuiop123456", "iloveyou12345", "aaaaaaaaaaaaaaaa", "1234567890123"]) {
    const r = refused(p);
    assert.match(r.reason, /too easy to guess/, p);
    assert.ok(r.score < MIN_SCORE);
  }
  assert.match(refused("password123456").reason, /commonly used password/);
  assert.match(refused("aaaaaaaaaaaaaaaa").reason, /Repeated characters/);
});

Deno.test("policy: published example passphrases and the service name are refused", () => {
  for (
    const p of [
      "correcthorsebatterystaple",
      "Correct Horse Battery Staple",
      "correct-horse-battery-staple",
      "CorrectHorseBatteryStaple1!",
      "OptiBid2024!!",
      "0pt1b1d-2024-!!",
    ]
  ) {
    assert.match(refused(p).reason, /too easy to guess/, p);
  }
});

Deno.test("policy: passwords built from the user's email, name or organisation are refused", () => {
  for (
    const p of [
      "alice.smith@acme-energy.com",
      "AliceSmith2024!",
      "Smith.Alice.2024",
      "4l1c3.5m1th.2024",
      "acme-energy-2024",
      "AcmeEnergy#2024",
      "alicesmithalicesmith",
    ]
  ) {
    const r = refused(p, user);
    assert.match(r.reason, /too easy to guess/, p);
  }
});

Deno.test("policy: the same email-derived strings are only caught because of userInputs", () => {
  // Guards against the test above passing for the wrong reason.
  accepted("Smith.Alice.2024");
  accepted("acme-energy-2024");
});

Deno.test("policy: strong passphrases pass, even when they contain a name", () => {
  accepted("tangerine-oboe-fjord-quill", user);
  accepted("compost dolphin wrist cable", user);
  accepted("alice-tangerine-oboe-fjord-quill", user);
  accepted("renewable-energy-tariff-otter", user);
  for (let i = 0; i < 5; i++) accepted(randomString(20), user);
});

Deno.test("policy: a crafted worst-case input is still scored quickly", async () => {
  checkPassword("warm-up-passphrase-long");
  // Against zxcvbn with its default options on the same machine at the same moment, not against a clock:
  // test files run in parallel, and a fixed number of milliseconds means nothing on a loaded machine.
  const [{ ZxcvbnFactory }, common, en] = await Promise.all([
    import("@zxcvbn-ts/core"),
    import("@zxcvbn-ts/language-common"),
    import("@zxcvbn-ts/language-en"),
  ]);
  const defaults = new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
  });
  const time = (fn: () => unknown) => {
    const t = performance.now();
    fn();
    return performance.now() - t;
  };
  const hostile = ["4@3$1!0|5$7+".repeat(11).slice(0, 128), "19801231".repeat(16), randomString(128)];
  for (const p of hostile) {
    const ours = Math.min(time(() => checkPassword(p, user)), time(() => checkPassword(p, user)));
    assert.ok(ours < 5000, `${ours.toFixed(0)} ms for ${p.slice(0, 16)}…`);
  }
  // The symbol soup: ~500 ms with the defaults, ~50 ms with the bounded options (a tenth, or less).
  const soup = hostile[0];
  const ours = Math.min(time(() => checkPassword(soup, user)), time(() => checkPassword(soup, user)));
  const theirs = time(() => defaults.check(soup, user));
  assert.ok(ours * 3 < theirs, `${ours.toFixed(0)} ms here, ${theirs.toFixed(0)} ms with zxcvbn's defaults`);
});

Deno.test("policy: odd userInputs are ignored rather than crashing", () => {
  accepted("tangerine-oboe-fjord-quill", ["", "a", "@", "x@y", 42 as unknown as string]);
});
