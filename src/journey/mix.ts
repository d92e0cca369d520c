/**
 * The rate of a run with journeys: `--ipm N` (journey iterations per minute) beside `--rpm N` (url
 * requests per minute), and what a config with both `urls` and `journeys` runs. Pure: no I/O.
 *
 * - Only urls: `--rpm` (or the config's rpm/stages) is the rate; `--ipm` is refused.
 * - Only journeys (none in `urls`, or `--journey NAME`, which replaces the config's mix): the rate is
 *   in iterations per minute, from `--ipm`, else `--rpm` (kept: with journeys only, it always meant
 *   iterations per minute), else the config's rpm/stages. `--rpm` and `--ipm` together are refused.
 * - Both: ONE seeded open-model schedule at rpm + ipm items per minute. Every url is a one-step
 *   journey (its endpoint row keeps the url's name); each item is a url with probability
 *   rpm / (rpm + ipm) (the urls' weights share that) or a journey otherwise (the journeys' weights
 *   share the rest), drawn from the seed as the url mix always was. Stages cannot be split that way:
 *   the url rate must be constant (`--rpm` or the config's rpm); `--profile` shapes the sum.
 */
import type { Config, Journey } from "../config/schema.ts";

export interface RateFlags {
  rpm?: number;
  ipm?: number;
  /** `--journey NAME` given: the config's urls are not run. */
  preset?: boolean;
}

export interface MixedRun {
  /** The config the run uses: journeys only when it has any (urls turned into one-step journeys). */
  config: Config;
  /** The rate handed to the plan (`--rpm` of planRun): requests, iterations or items per minute. */
  planRpm?: number;
  /** The urls' journeys (their rows keep the url's name; they are no journeys in the tables). */
  urlJourneys: ReadonlySet<string>;
  /** The share of urls among the scheduled items (1: urls only, 0: journeys only). */
  urlShare: number;
}

/** Throws an Error (one line) when the flags cannot describe the run honestly. */
export function mixRun(config: Config, flags: RateFlags): MixedRun {
  const journeys = config.journeys ?? [];
  const urls = flags.preset ? [] : config.urls;
  if (journeys.length === 0) {
    if (flags.ipm !== undefined) {
      throw new Error(
        "--ipm N is the rate of journeys, and this run has none: give the urls' rate with --rpm N",
      );
    }
    return { config, planRpm: flags.rpm, urlJourneys: new Set(), urlShare: 1 };
  }
  if (urls.length === 0) {
    if (flags.ipm !== undefined && flags.rpm !== undefined) {
      throw new Error(
        "--rpm and --ipm: this run has only journeys (no urls, or --journey) — give its rate once, with --ipm N",
      );
    }
    return {
      config: { ...config, urls: [] },
      planRpm: flags.ipm ?? flags.rpm,
      urlJourneys: new Set(),
      urlShare: 0,
    };
  }
  if (flags.ipm === undefined) {
    throw new Error(
      "the config has urls and journeys: give --ipm N (journey iterations per minute) beside --rpm N " +
        "(url requests per minute), or remove one of them",
    );
  }
  const urlRpm = flags.rpm ?? (config.stages ? undefined : config.rpm);
  if (urlRpm === undefined) {
    throw new Error(
      "urls and journeys in one run need a constant url rate: give --rpm N (stages cannot be split between them)",
    );
  }
  const total = urlRpm + flags.ipm;
  const urlJourneys = oneStepJourneys(config, urlRpm / total);
  const share = flags.ipm / total;
  const weightOf = (j: Journey) => j.weight ?? 1;
  const journeyWeight = journeys.reduce((sum, j) => sum + weightOf(j), 0);
  return {
    config: {
      ...config,
      urls: [],
      journeys: [
        ...urlJourneys,
        ...journeys.map((j) => ({ ...j, weight: (weightOf(j) / journeyWeight) * share })),
      ],
    },
    planRpm: total,
    urlJourneys: new Set(urlJourneys.map((j) => j.name)),
    urlShare: urlRpm / total,
  };
}

/** Every url as a journey of one step (its expected statuses as the step's check), weights scaled to `share`. */
function oneStepJourneys(config: Config, share: number): Journey[] {
  const urlWeight = config.urls.reduce((sum, u) => sum + (u.weight ?? 1), 0);
  const names = new Set((config.journeys ?? []).map((j) => j.name));
  return config.urls.map((url) => {
    const name = url.name ?? url.path;
    if (names.has(name)) throw new Error(`url ${name}: a journey has the same name — rename one`);
    names.add(name);
    return {
      name,
      weight: ((url.weight ?? 1) / urlWeight) * share,
      steps: [{
        name,
        method: "GET" as const,
        on_fail: "stop" as const,
        path: url.path,
        ...(url.expect ? { check: { status: url.expect } } : {}),
      }],
    };
  });
}
