/** Regenerates config.schema.json from src/config/schema.ts (`deno task schema`). */
import { configJsonSchema } from "../src/config/schema.ts";

export function schemaText(): string {
  return JSON.stringify({ title: "moodle-load config", ...configJsonSchema() }, null, 2) + "\n";
}

if (import.meta.main) {
  await Deno.writeTextFile(new URL("../config.schema.json", import.meta.url), schemaText());
  console.log("config.schema.json written");
}
