/**
 * The output folder has one flag across subcommands: `--out DIR` (run, demo, bench, bisect, merge,
 * docker-stats, pg-stats; `db snapshot`, `report` and `journey import-har` write one file to --out).
 * The seed's spellings still work, hidden from the help: `--stats-dir` (run, demo) and `--outdir`
 * (docker-stats, pg-stats); the alias wins when both are given (scripts written for it meant it).
 */
import { Option } from "@commander-js/extra-typings";

export function outOption(help: string, defaultDir: string) {
  return new Option("--out <dir>", help).default(defaultDir);
}

export function statsDirAlias() {
  return new Option("--stats-dir <dir>", "the old name of --out").hideHelp();
}

export function outdirAlias() {
  return new Option("--outdir <dir>", "the old name of --out").hideHelp();
}

/** The folder asked for: the old spelling when given, else --out (its default included). */
export function chosenOut(options: { out: string; statsDir?: string; outdir?: string }): string {
  return options.statsDir ?? options.outdir ?? options.out;
}
