/**
 * The config's journeys compiled once for a run: regular expressions built, which steps must keep
 * their whole page (an extraction, a body check, or a form on the next step), and the engine's view
 * of them (names, success statuses, weights).
 */
import type { Journey, JourneyStep } from "../config/schema.ts";
import type { EndpointSpec } from "../engine/targets.ts";
import type { JourneySpec } from "../engine/types.ts";

export type Extractor = { regex: RegExp } | { css: string; attr?: string };

export interface StepPlan {
  /** The endpoint row: `journey/step`. */
  endpointName: string;
  step: JourneyStep;
  extract: [string, Extractor][];
  /** The success statuses (check.status); undefined: any 2xx. */
  expect?: readonly number[];
  urlCheck?: RegExp;
  bodyRegex?: RegExp;
  /**
   * Keep the whole body (bounded by --max-body): this step extracts or checks it, it is an upload
   * or a web-service call (its JSON answer), or the next step posts its form or uploads into it.
   */
  keepBody: boolean;
}

export interface JourneyPlan {
  name: string;
  weight: number;
  steps: StepPlan[];
}

function regex(source: string, where: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw new Error(`${where}: not a regular expression (${(error as Error).message})`);
  }
}

function planStep(journey: Journey, k: number, plain: boolean): StepPlan {
  const step = journey.steps[k];
  const where = `journey ${journey.name}, step ${step.name}`;
  const status = step.check?.status;
  const extract = Object.entries(step.extract ?? {}).map(([name, e]): [string, Extractor] => [
    name,
    "regex" in e ? { regex: regex(e.regex, `${where}, extract ${name}`) } : e,
  ]);
  return {
    endpointName: plain ? journey.name : `${journey.name}/${step.name}`,
    step,
    extract,
    expect: status === undefined ? undefined : Array.isArray(status) ? status : [status],
    urlCheck: step.check?.url ? regex(step.check.url, `${where}, check.url`) : undefined,
    bodyRegex: step.check?.regex ? regex(step.check.regex, `${where}, check.regex`) : undefined,
    keepBody: extract.length > 0 || step.check?.contains !== undefined ||
      step.check?.not_contains !== undefined || step.check?.regex !== undefined ||
      step.upload !== undefined || step.json !== undefined || journey.steps[k + 1]?.form !== undefined ||
      journey.steps[k + 1]?.upload !== undefined,
  };
}

/**
 * Throws an Error naming the journey and step when a regular expression does not compile. The
 * `plain` journeys are urls run as one-step journeys (mix.ts): their row keeps the url's name.
 */
export function planJourneys(
  journeys: readonly Journey[],
  plain: ReadonlySet<string> = new Set(),
): JourneyPlan[] {
  return journeys.map((journey) => ({
    name: journey.name,
    weight: journey.weight ?? 1,
    steps: journey.steps.map((_, k) => planStep(journey, k, plain.has(journey.name))),
  }));
}

/** What the engine knows of the journeys. */
export function journeySpecs(plans: readonly JourneyPlan[]): JourneySpec[] {
  return plans.map((plan) => ({
    name: plan.name,
    steps: plan.steps.map((s) => ({
      name: s.endpointName,
      path: s.step.upload
        ? `(upload ${s.step.upload.file ?? `${s.step.upload.size_bytes} B`})`
        : s.step.path ?? "(form)",
      ...(s.expect ? { expect: s.expect } : {}),
    })),
  }));
}

/** One picker endpoint per journey: the picker draws the journey (by weight) and the preferred user. */
export function journeyPickerEndpoints(plans: readonly JourneyPlan[]): EndpointSpec[] {
  return plans.map((plan) => ({ name: plan.name, path: "", weight: plan.weight, parts: [""], params: [] }));
}

/** The step rows as endpoint specs (name and path) for the summary and the files. */
export function stepEndpoints(plans: readonly JourneyPlan[]): EndpointSpec[] {
  return journeySpecs(plans).flatMap((j) =>
    j.steps.map((s) => ({ name: s.name, path: s.path, weight: 1, parts: [s.path], params: [] }))
  );
}
