/**
 * Real headless Chromium for page tests (Debian's `chromium` driven by npm:playwright-core).
 * Missing browser → requireService() skips loudly (fails under CI=true).
 */
import { chromium } from "playwright-core";
import type { Availability } from "./services.ts";

export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function chromiumAvailability(): Availability {
  try {
    return Deno.statSync(CHROMIUM).isFile
      ? { ok: true, reason: "" }
      : { ok: false, reason: `${CHROMIUM} is not a file` };
  } catch {
    return { ok: false, reason: `${CHROMIUM} not found (apt-get install chromium)` };
  }
}

export async function launchChromium() {
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    timeout: 60_000,
  });
}
