import assert from "node:assert/strict";
import { validateConfig } from "../src/config/load.ts";
import { planRun } from "../src/config/plan.ts";
import { Schedule } from "../src/engine/schedule.ts";
import { UserError } from "../src/errors.ts";

const BASE = {
  base_url: "http://127.0.0.1:1",
  users: [{ username: "a", password: "b" }],
  urls: [{ path: "/" }],
};

Deno.test("plan: --rpm/--duration flags win over the config; constant schedule", () => {
  const config = validateConfig({ ...BASE, rpm: 60, duration: "2m", stages: [{ duration: "1m", rpm: 10 }] });
  const plan = planRun(config, { rpm: 600, duration: 30 });
  assert.equal(plan.kind, "constant");
  assert.equal(plan.durationSec, 30);
  assert.equal(new Schedule(plan.segments).totalCount, 300);
});

Deno.test("plan: config rpm + duration alone; stages alone; stages cut by --duration", () => {
  const constant = planRun(validateConfig({ ...BASE, rpm: 120, duration: "1m" }), {});
  assert.equal(new Schedule(constant.segments).totalCount, 120);
  const stages = planRun(
    validateConfig({ ...BASE, stages: [{ duration: "10s", rpm: 1200 }, { duration: "10s", rpm: 1200 }] }),
    {},
  );
  assert.equal(stages.kind, "stages");
  assert.equal(stages.durationSec, 20);
  assert.deepEqual(new Schedule(stages.segments).countsPerSegment(), [100, 200]);
  const cut = planRun(validateConfig({ ...BASE, stages: [{ duration: "10s", rpm: 1200 }] }), { duration: 5 });
  assert.equal(new Schedule(cut.segments).totalCount, 25);
});

Deno.test("plan: warm-up prefix at the base rate; profiles need a base rate and a length", () => {
  const plan = planRun(validateConfig({ ...BASE, rpm: 600, duration: 10 }), { warmup: 5 });
  const s = new Schedule(plan.segments);
  assert.deepEqual(s.countsPerSegment(), [50, 100]);
  assert.equal(plan.warmupRpm, 600);
  const spike = planRun(validateConfig(BASE), { rpm: 600, duration: 100, profile: "spike" });
  assert.equal(spike.kind, "spike");
  assert.equal(new Schedule(spike.segments).totalCount, 400 + 1000 + 400);
  assert.throws(() => planRun(validateConfig(BASE), { duration: 10, profile: "spike" }), /base rate/);
  assert.throws(
    () => planRun(validateConfig(BASE), { rpm: 10, duration: 10, profile: "nope" }),
    /unknown profile/,
  );
});

Deno.test("plan: no rate or no duration is a usage error with one line", () => {
  for (const [config, flags] of [[BASE, {}], [BASE, { rpm: 60 }], [{ ...BASE, rpm: 60 }, {}]] as const) {
    assert.throws(() => planRun(validateConfig(config), flags), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.exitCode, 2);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
});
