/** `--junit FILE`: the folder is checked before any work starts; the file is written atomically. */
import { dirname, resolve } from "node:path";
import { EXIT, UserError } from "../errors.ts";
import { writeFileAtomic } from "./atomic.ts";
import { type JunitSuite, junitXml } from "./junit.ts";

/** Before the run (or the comparison): the folder FILE goes in exists. */
export async function checkJunitPath(file: string | undefined): Promise<void> {
  if (file === undefined) return;
  const folder = dirname(resolve(file));
  const info = await Deno.stat(folder).catch(() => undefined);
  if (!info?.isDirectory) {
    throw new UserError(
      `--junit ${file}: the folder ${folder} does not exist — create it or choose another path`,
      EXIT.usage,
    );
  }
}

export async function writeJunitFile(file: string, suite: JunitSuite): Promise<void> {
  try {
    await writeFileAtomic(file, junitXml(suite));
  } catch (error) {
    throw new UserError(
      `--junit ${file}: cannot write it (${
        (error as Error).message
      }) — choose another path or fix its permissions`,
    );
  }
}
