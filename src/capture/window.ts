/** The --duration/--interval rules shared by the capture commands (docker-stats, pg-stats). */
import { EXIT, UserError } from "../errors.ts";

/** `duration` 0 means "until stopped (Ctrl-C, SIGTERM)"; otherwise it must cover at least one interval. */
export function checkCaptureDuration(duration: number, interval: number): void {
  if (!(duration >= 0)) {
    throw new UserError("--duration must be 0 (until Ctrl-C) or more seconds", EXIT.usage);
  }
  if (duration > 0 && duration < interval) {
    throw new UserError(
      `--duration ${duration}s is shorter than --interval ${interval}s: no sample would be ` +
        `taken — lengthen --duration or lower --interval`,
      EXIT.usage,
    );
  }
}
