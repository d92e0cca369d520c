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

Deno.test("configs without pools draw exactly the sequence they drew before per-user pools (golden)", () => {
  const endpoints = compileEndpoints("", [
    { path: "/c?id={a}", weight: 3 },
    { path: "/d?d={b}&p={a}" },
    { path: "/my/", weight: 0.5 },
  ], { a: { min: 2, max: 4 }, b: { min: 10, max: 10 } });
  const picker = new TargetPicker(endpoints, 7, 12345);
  const drawn = Array.from({ length: 12 }, () => {
    picker.next();
    return `${picker.endpoint} ${picker.url} ${picker.user}`;
  });
  // Drawn by the picker of commit 1bc2c6c (endpoint, placeholders, then user) with the same inputs.
  assert.deepEqual(drawn, [
    "0 /c?id=4 3",
    "1 /d?d=10&p=2 6",
    "0 /c?id=2 3",
    "0 /c?id=4 0",
    "2 /my/ 1",
    "0 /c?id=2 4",
    "1 /d?d=10&p=4 5",
    "0 /c?id=3 2",
    "0 /c?id=4 0",
    "0 /c?id=3 3",
    "0 /c?id=4 0",
    "0 /c?id=4 2",
  ]);
});

const POOLS = {
  users: {
    alice: { enrolled_courses: [2], cmids: { page: [21, 22] } },
    bob: { enrolled_courses: [3, 4], cmids: { page: [31] } },
    carol: { enrolled_courses: [5] },
  },
};
const POOLED = compileEndpoints(
  "http://x",
  [
    { path: "/course/view.php?id={courseid}", weight: 2 },
    { path: "/mod/page/view.php?id={pageid}&tag={tag}" },
    { path: "/r?n={n}" },
  ],
  {
    courseid: { from: "enrolled_courses" },
    pageid: { from: "cmids", module: "page" },
    tag: { values: ["a b", 7] },
    n: { min: 1, max: 2 },
  },
  { usernames: ["alice", "bob"], pools: POOLS },
);

Deno.test("per-user pools: each URL holds only values from the drawing user's own pool", () => {
  const picker = new TargetPicker(POOLED, 2, 99);
  const own = [{ course: ["2"], page: ["21", "22"] }, { course: ["3", "4"], page: ["31"] }];
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    picker.next();
    const url = new URL(picker.url);
    const mine = own[picker.user];
    if (url.pathname === "/course/view.php") {
      assert.ok(mine.course.includes(url.searchParams.get("id")!), picker.url);
    }
    if (url.pathname === "/mod/page/view.php") {
      assert.ok(mine.page.includes(url.searchParams.get("id")!), picker.url);
      assert.ok(["a b", "7"].includes(url.searchParams.get("tag")!), picker.url);
    }
    seen.add(`${picker.user} ${picker.url}`);
  }
  // Every value of every pool shows up: 1 + 2 courses, (2 + 1 pages) × 2 tags, 2 × 2 ranges.
  assert.equal(seen.size, 3 + 6 + 4);
  assert.ok(seen.has("0 http://x/mod/page/view.php?id=22&tag=a%20b"));
});

Deno.test("per-user pools: urlFor(another user) maps the same draw into that user's pool, PRNG untouched", () => {
  const a = new TargetPicker(POOLED, 2, 5);
  const b = new TargetPicker(POOLED, 2, 5);
  for (let i = 0; i < 500; i++) {
    a.next();
    b.next();
    const other = 1 - a.user;
    const url = a.urlFor(other);
    assert.equal(a.urlFor(a.user), a.url);
    if (a.endpoint === 2) assert.equal(url, a.url); // a range: the same for everybody
    if (a.endpoint === 0) {
      assert.ok((other === 0 ? ["2"] : ["3", "4"]).includes(new URL(url).searchParams.get("id")!), url);
    }
    assert.equal(b.url, a.url); // urlFor drew nothing: both pickers stay in step
  }
});

Deno.test("per-user pools: compile refuses an empty pool, the picker refuses a pool of the wrong size", () => {
  assert.throws(
    () =>
      compileEndpoints("http://x", [{ path: "/p?id={pageid}" }], {
        pageid: { from: "cmids", module: "page" },
      }, {
        usernames: ["alice", "carol"],
        pools: POOLS,
      }),
    /user "carol" has no cmids\.page/,
  );
  assert.throws(
    () => compileEndpoints("http://x", [{ path: "/c?id={c}" }], { c: { from: "enrolled_courses" } }),
    /per-user pool/,
  );
  assert.throws(() => new TargetPicker(POOLED, 3, 1), /one non-empty list for each of the 3 users/);
});
