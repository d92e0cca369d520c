/** The tool's version: one source, deno.json's "version" (compiled into the binary). */
import denoJson from "../deno.json" with { type: "json" };

export const VERSION: string = denoJson.version;
