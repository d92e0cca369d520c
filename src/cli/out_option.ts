/**
 * The output folder has one flag across subcommands: `--out DIR` (run, demo, bench, bisect, merge,
 * docker-stats, pg-stats; `db snapshot`, `report` and `journey import-har` write one file to --out).
 * The seed's spellings still work, hidden from the help: `--stats-dir` (run, demo) and `--outdir`
 * (docker-stats, pg-stats).
 */
import { type CommandUnknownOpts, Option } from "@commander-js/extra-typings";

export function outOption(help: string, defaultDir: string) {
  return new Option("--out <dir>", help).default(defaultDir);
}

export function statsDirAlias() {
  return new Option("--stats-dir <dir>", "the old name of --out").hideHelp();
}

export function outdirAlias() {
  return new Option("--outdir <dir>", "the old name of --out").hideHelp();
}

/**
 * Make `--stats-dir` / `--outdir` set `--out`, in argument order: given both, the later one wins, as
 * with any flag given twice (commander emits "option:NAME" for each flag as it parses).
 */
export function outAliasOf<C extends CommandUnknownOpts>(command: C, alias: "stats-dir" | "outdir"): C {
  command.on(`option:${alias}`, (value: string) => command.setOptionValueWithSource("out", value, "cli"));
  return command;
}
