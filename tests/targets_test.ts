import assert from "node:assert/strict";
import { randomSeed, TargetPicker } from "../src/engine/targets.ts";
import { compileEndpoints } from "../src/config/endpoints.ts";
import { Prng } from "../src/util/random.ts";

const ENDPOINTS = compileEndpoints(
  "https://moodle.example.org/moodle/",
  [
    { path: "/course/view.php?id={courseid}", name: "course", weight: 3 },
    { path: "/mod/forum/discuss.php?d={d}&parent={courseid}" },
    { path: "/my/", weight: 0.5, expect: [200, 303] },
  ],
  { courseid: { min: 2, max: 4 }, d: { min: 10, max: 10 } },
);

function draw(seed: number, n: number): string[] {
  const picker = new TargetPicker(ENDPOINTS, 7, seed);
  return Array.from({ length: n }, () => {
    picker.next();
    return `${picker.endpoint} ${picker.url} ${picker.user}`;
  });
}

Deno.test("PRNG: same seed, same stream; different seeds differ; uniform-ish in range", () => {
  const a = new Prng(42);
  const b = new Prng(42);
  const c = new Prng(43);
  const sa = Array.from({ length: 100 }, () => a.nextUint32());
  assert.deepEqual(sa, Array.from({ length: 100 }, () => b.nextUint32()));
  assert.notDeepEqual(sa, Array.from({ length: 100 }, () => c.nextUint32()));
  assert.notDeepEqual(new Prng(2 ** 40).nextUint32(), new Prng(0).nextUint32());
  const counts = [0, 0, 0, 0, 0];
  const p = new Prng(7);
  for (let i = 0; i < 50_000; i++) {
    const v = p.nextInt(3, 7);
    assert.ok(v >= 3 && v <= 7);
    counts[v - 3]++;
  }
  for (const count of counts) assert.ok(Math.abs(count - 10_000) < 500, String(counts));
  const seed = randomSeed();
  assert.ok(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32);
});

Deno.test("templates: base URL with a sub-path, every placeholder filled inside its inclusive range", () => {
  assert.deepEqual(ENDPOINTS.map((e) => e.name), [
    "course",
    "/mod/forum/discuss.php?d={d}&parent={courseid}",
    "/my/",
  ]);
  const seen = new Set<string>();
  for (const line of draw(1, 2000)) {
    const [, url] = line.split(" ");
    assert.match(
      url,
      /^https:\/\/moodle\.example\.org\/moodle\/(course\/view\.php\?id=[234]|mod\/forum\/discuss\.php\?d=10&parent=[234]|my\/)$/,
    );
    seen.add(url);
  }
  // All 3 + 3 + 1 distinct URLs appear (both range ends included).
  assert.equal(seen.size, 7);
});

Deno.test("seeded sequence of URLs and users is reproducible, and the mix follows the weights", () => {
  const first = draw(12345, 5000);
  assert.deepEqual(draw(12345, 5000), first);
  assert.notDeepEqual(draw(12346, 5000), first);
  const byEndpoint = [0, 0, 0];
  const users = new Set<string>();
  for (const line of first) {
    const [endpoint, , user] = line.split(" ");
    byEndpoint[Number(endpoint)]++;
    users.add(user);
  }
  // Weights 3 : 1 : 0.5 of 5000 → 3333, 1111, 556.
  assert.ok(Math.abs(byEndpoint[0] - 3333) < 150, String(byEndpoint));
  assert.ok(Math.abs(byEndpoint[1] - 1111) < 100, String(byEndpoint));
  assert.ok(Math.abs(byEndpoint[2] - 556) < 80, String(byEndpoint));
  assert.equal(users.size, 7);
  assert.deepEqual(ENDPOINTS[2].expect, [200, 303]);
});

Deno.test("a placeholder without a range is refused", () => {
  assert.throws(() => compileEndpoints("http://x", [{ path: "/a?id={x}" }], {}), /\{x\}/);
});
