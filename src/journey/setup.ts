/** Journeys for `run`: the config's (or a preset's) journeys compiled, and the engine's options made. */
import type { Config } from "../config/schema.ts";
import { templateNames } from "../config/schema.ts";
import { paramSpec } from "../config/endpoints.ts";
import type { EndpointSpec, ParamSpec } from "../engine/targets.ts";
import type { JourneyRunner, JourneySpec, VirtualUser } from "../engine/types.ts";
import type { MoodleUser } from "../moodle/user.ts";
import {
  journeyPickerEndpoints,
  type JourneyPlan,
  journeySpecs,
  planJourneys,
  stepEndpoints,
} from "./plan.ts";
import { createJourneyRunner } from "./runner.ts";

export interface JourneySetup {
  plans: JourneyPlan[];
  specs: JourneySpec[];
  /** One per journey: what the picker draws (journey by weight, preferred user). */
  pickerEndpoints: EndpointSpec[];
  /** The step rows (the run's endpoints). */
  stepEndpoints: EndpointSpec[];
  /** Urls run as one-step journeys beside the journeys (mix.ts): not journeys in the tables. */
  urlJourneys: ReadonlySet<string>;
}

/**
 * Undefined when the config has no journeys; throws an Error (one line) on a bad regular expression.
 * `urlJourneys`: the urls run as one-step journeys (mix.ts).
 */
export function journeySetup(config: Config, urlJourneys?: ReadonlySet<string>): JourneySetup | undefined {
  if (!config.journeys?.length) return undefined;
  const plans = planJourneys(config.journeys, urlJourneys);
  return {
    plans,
    specs: journeySpecs(plans),
    pickerEndpoints: journeyPickerEndpoints(plans),
    stepEndpoints: stepEndpoints(plans),
    urlJourneys: urlJourneys ?? new Set(),
  };
}

/** Every parameter the journeys' templates use, for the logged-in users (per-user pools by index). */
function journeyParameters(config: Config, users: readonly VirtualUser[]): Record<string, ParamSpec> {
  const names = new Set(
    (config.journeys ?? []).flatMap((j) =>
      j.steps.flatMap((s) =>
        [
          s.path ?? "",
          s.json ?? "",
          s.form?.action ?? "",
          ...Object.values(s.fields ?? {}),
          ...Object.values(s.form?.fields ?? {}),
          s.upload?.name ?? "",
        ]
          .flatMap(templateNames)
      )
    ),
  );
  const specs: Record<string, ParamSpec> = {};
  const usernames = users.map((user) => user.username);
  for (const name of names) {
    const parameter = config.parameters[name];
    if (parameter) specs[name] = paramSpec(name, "journeys", parameter, { usernames, pools: config.pools });
  }
  return specs;
}

/** The bytes of every `upload.file`, read once before the run (an unreadable file: one line). */
function uploadFiles(config: Config): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const step of (config.journeys ?? []).flatMap((j) => j.steps)) {
    const file = step.upload?.file;
    if (file === undefined || files.has(file)) continue;
    try {
      files.set(file, Deno.readFileSync(file));
    } catch (error) {
      throw new Error(`step ${step.name}: cannot read upload file ${file} (${(error as Error).message})`);
    }
  }
  return files;
}

/** The runner for the engine; the users must be Moodle users (they post forms and keep pages). */
export function journeyRunner(
  setup: JourneySetup,
  config: Config,
  users: readonly VirtualUser[],
  options: { seed: number; requestTimeoutMs: number },
): JourneyRunner {
  if (!users.every((user) => typeof (user as Partial<MoodleUser>).page === "function")) {
    throw new Error("journeys need Moodle users (this backend's users cannot post forms)");
  }
  return createJourneyRunner(setup.plans, {
    uploadFiles: uploadFiles(config),
    baseUrl: config.base_url,
    seed: options.seed,
    parameters: journeyParameters(config, users),
    users: users as MoodleUser[],
    requestTimeoutMs: options.requestTimeoutMs,
  });
}
