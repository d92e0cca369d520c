/** `moodle-load demo` (wired to the demo server once the protocol side is merged). */
import { UserError } from "../output/errors.ts";

export interface DemoRunOptions {
  duration: number;
  rpm: number;
  statsDir: string;
  progress: number;
  quiet: boolean;
  json: boolean;
}

export function runDemo(_options: DemoRunOptions, _version: string): Promise<void> {
  return Promise.reject(new UserError("the demo site is not available in this build"));
}
