/** Write a report page (report, A/B report): atomically; a missing folder or no permission is one line. */
import { dirname, resolve } from "node:path";
import { writeFileAtomic } from "./atomic.ts";
import { UserError } from "../errors.ts";

export async function writeHtml(out: string, html: string): Promise<void> {
  try {
    await writeFileAtomic(out, html);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UserError(
        `cannot write ${out}: the folder ${
          dirname(resolve(out))
        } does not exist — create it or choose another --out`,
      );
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new UserError(`cannot write ${out}: permission denied — choose another path with --out`);
    }
    throw error;
  }
}
