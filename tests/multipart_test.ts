/** The multipart body a journey upload sends, read back by a standard parser (the Fetch API's). */
import assert from "node:assert/strict";
import { encodeMultipart } from "../src/moodle/multipart.ts";

Deno.test("encodeMultipart: fields and a binary file, byte for byte, as a server's formData() reads them", async () => {
  const bytes = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
  const { body, contentType } = encodeMultipart(
    { sesskey: "abc", title: 'a "quoted" name', itemid: "123" },
    [{ field: "repo_upload_file", filename: "f.bin", bytes }],
  );
  const form = await new Request("http://x/", {
    method: "POST",
    body,
    headers: { "content-type": contentType },
  })
    .formData();
  assert.equal(form.get("sesskey"), "abc");
  assert.equal(form.get("title"), 'a "quoted" name');
  assert.equal(form.get("itemid"), "123");
  const file = form.get("repo_upload_file") as File;
  assert.equal(file.name, "f.bin");
  assert.deepEqual(new Uint8Array(await file.arrayBuffer()), bytes);
});
