import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { parseListen } from "../dashboard/listen.ts";
import { parseDurationSeconds } from "../output/format.ts";

/** `--dashboard [HOST:]PORT` and `--dashboard-linger S` of `run`. */
export function dashboardOptions() {
  return [
    new Option(
      "--dashboard <[host:]port>",
      "serve a live page (/), Prometheus metrics (/metrics) and SSE (/events) during the run (host 127.0.0.1)",
    ).argParser((value) => {
      const address = parseListen(value);
      if (!address) {
        throw new InvalidArgumentError("--dashboard must be PORT or HOST:PORT, e.g. 9464 or 0.0.0.0:9464");
      }
      return address;
    }),
    new Option("--dashboard-linger <s>", "keep the dashboard up this long after the run (a last scrape)")
      .argParser((value) => {
        let seconds: number;
        try {
          seconds = parseDurationSeconds(value);
        } catch {
          throw new InvalidArgumentError("--dashboard-linger must be a duration such as 15, 15s or 1m");
        }
        if (!(seconds >= 0)) throw new InvalidArgumentError("--dashboard-linger must be 0 or more");
        return seconds;
      })
      .default(0),
  ] as const;
}
