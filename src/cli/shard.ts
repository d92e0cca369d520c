/** `--shard`, `--shard-count`, `--start-at`: the options of `run`, `bench` and `demo` (docs/distributed.md). */
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { checkShardFlag, parseStartAt } from "../config/shard.ts";

const asArgument = <T>(parse: (value: string) => T) => (value: string): T => {
  try {
    return parse(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

export function shardOption() {
  return new Option(
    "--shard <I/N|auto>",
    "run slice I of N (0-based) of one seeded schedule: every N-th request and user; " +
      "auto: from JOB_COMPLETION_INDEX or CI_NODE_INDEX/CI_NODE_TOTAL",
  ).argParser(asArgument(checkShardFlag));
}

export function shardCountOption() {
  return new Option(
    "--shard-count <n>",
    "with --shard auto on a Kubernetes Indexed Job: the number of shards (else $MOODLE_LOAD_SHARDS)",
  ).argParser(asArgument((value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error("--shard-count must be a positive integer");
    return n;
  }));
}

export function startAtOption() {
  return new Option(
    "--start-at <time>",
    "start the schedule at this instant, after logging in (ISO with zone, or epoch ms): every shard the same",
  ).argParser(asArgument(parseStartAt));
}
