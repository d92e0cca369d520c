/**
 * Find and read a run's JSON summary: given a summary file, or a run directory holding one
 * (`load_summary_<ts>.json`, as `run --out DIR` and `bench` write it).
 */
import { join } from "node:path";
import type { RunSummary } from "./summary_types.ts";
import { UserError } from "../errors.ts";
import { jsonSyntaxError } from "../config/json_error.ts";
import { compareStampedNames } from "./stamp.ts";

export const SUMMARY_FILE = /^load_summary_.*\.json$/;

export interface LocatedSummary {
  /** The summary JSON file. */
  path: string;
  /** The directory holding it (where the capture CSVs and manifest sit). */
  dir: string;
  summary: RunSummary;
  /** Other summaries in the same directory that were not chosen (the newest stamp in the name wins). */
  others: string[];
}

/** Validate just enough to give a clear message instead of a TypeError later. */
export function parseSummary(text: string, path: string): RunSummary {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UserError(
      `${path}: ${jsonSyntaxError(text)} — pass a complete load_summary_*.json file`,
    );
  }
  const summary = data as Partial<RunSummary>;
  if (typeof data !== "object" || data === null || summary.tool !== "moodle-load") {
    throw new UserError(
      `${path} is not a moodle-load run summary — pass a load_summary_*.json file or its directory`,
    );
  }
  for (const key of ["endpoints", "intervals"] as const) {
    if (!Array.isArray(summary[key])) {
      throw new UserError(`${path}: the summary has no "${key}" list — is it complete?`);
    }
  }
  return summary as RunSummary;
}

export async function locateSummary(path: string): Promise<LocatedSummary> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UserError(`${path} does not exist — pass a run directory or a load_summary_*.json file`);
    }
    throw error;
  }
  if (info.isFile) {
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
    return { path, dir, summary: parseSummary(await Deno.readTextFile(path), path), others: [] };
  }
  const names: string[] = [];
  for await (const entry of Deno.readDir(path)) {
    if (entry.isFile && SUMMARY_FILE.test(entry.name)) names.push(entry.name);
  }
  names.sort(compareStampedNames);
  const newest = names.pop();
  if (!newest) {
    throw new UserError(
      `no load_summary_*.json in ${path} — pass a directory written by \`moodle-load run --out\` or \`bench\`, or the file itself`,
    );
  }
  const file = join(path, newest);
  return { path: file, dir: path, summary: parseSummary(await Deno.readTextFile(file), file), others: names };
}
