/** Config files for tests: one helper writes them, in a temp folder the test owns. */

/** Write `config` as JSON to `dir/name` and return the path. */
export async function writeConfig(dir: string, config: unknown, name = "config.json"): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, JSON.stringify(config));
  return path;
}
