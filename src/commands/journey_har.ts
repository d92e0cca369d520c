/** `moodle-load journey import-har FILE.har`: a recorded browser session as a journey (src/journey/har.ts). */
import { basename } from "node:path";
import { EXIT, UserError } from "../errors.ts";
import { writeFileAtomic } from "../output/atomic.ts";
import { redactUrl } from "../util/redact.ts";
import { importHar } from "../journey/har.ts";
import type { JourneyStep } from "../config/schema.ts";

export interface ImportHarOptions {
  name?: string;
  baseUrl?: string;
  maxThinkMs: number;
  out?: string;
}

/** A step as a person would write it: defaults (GET, on_fail stop) left out. */
function written(step: JourneyStep): Record<string, unknown> {
  const { method, on_fail, ...rest } = step;
  return { ...rest, ...(method === "GET" ? {} : { method }), ...(on_fail === "stop" ? {} : { on_fail }) };
}

export async function importHarCommand(file: string, options: ImportHarOptions): Promise<void> {
  let har: unknown;
  try {
    har = JSON.parse(await Deno.readTextFile(file));
  } catch (error) {
    throw new UserError(
      `${file}: cannot read the HAR file (${(error as Error).message}) — save it again`,
      EXIT.usage,
    );
  }
  const name = options.name ?? basename(file).replace(/\.har$/i, "").replace(/[^A-Za-z0-9_.-]/g, "-");
  let imported;
  try {
    imported = importHar(har, { name, baseUrl: options.baseUrl, maxThinkMs: options.maxThinkMs });
  } catch (error) {
    throw new UserError(`${file}: ${(error as Error).message} — record the journey again`, EXIT.usage);
  }
  const { journey } = imported;
  const text = JSON.stringify({ journeys: [{ ...journey, steps: journey.steps.map(written) }] }, null, 2) +
    "\n";
  if (options.out) await writeFileAtomic(options.out, text);
  else console.log(text.trimEnd());
  const dropped = Object.entries(imported.dropped).map(([why, n]) => `${n} ${why}`).join(", ") || "nothing";
  console.error(
    `Journey ${journey.name}: ${journey.steps.length} steps from ${file} (site ${
      redactUrl(imported.baseUrl)
    }; ` +
      `set base_url to it). Dropped: ${dropped}.` +
      (imported.secretsDropped.length
        ? ` Fields not carried over (secrets): ${[...new Set(imported.secretsDropped)].join(", ")}.`
        : ""),
  );
}
