/**
 * `deno task bench [NAME…] [--quick]`: runs every scripts/bench_<name>.ts (or the ones named), each as
 * its own process, printing their figures. Other benchmarks (bench_pg.ts, …) are picked up by name.
 * `--quick` reaches each benchmark as BENCH_QUICK=1 (short runs); no flag is passed on.
 */
const here = new URL(".", import.meta.url).pathname;
const all = [...Deno.readDirSync(here)]
  .map((entry) => /^bench_(\w+)\.ts$/.exec(entry.name)?.[1])
  .filter((name): name is string => !!name && !name.endsWith("worker") && !name.endsWith("target"))
  .sort();
const quick = Deno.args.includes("--quick");
const wanted = Deno.args.filter((arg) => !arg.startsWith("--"));
const unknown = wanted.filter((name) => !all.includes(name));
if (unknown.length) {
  console.error(`bench: no scripts/bench_${unknown[0]}.ts (have: ${all.join(", ")})`);
  Deno.exit(2);
}
let failed = 0;
for (const name of wanted.length ? wanted : all) {
  console.log(`\n== bench ${name} ==`);
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--v8-flags=--expose-gc", `${here}bench_${name}.ts`],
    env: quick ? { BENCH_QUICK: "1" } : {},
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) failed++;
}
Deno.exit(failed ? 1 : 0);
