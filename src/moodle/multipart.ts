/**
 * A `multipart/form-data` body (RFC 7578) as a browser sends a file input: text fields, then files
 * with their name and type. Built by hand into one byte array so that it goes through every
 * transport (fetch and node:https) unchanged, with its length known.
 */

export interface MultipartFile {
  /** The form field name (`repo_upload_file` for Moodle's upload repository). */
  field: string;
  filename: string;
  bytes: Uint8Array;
  type?: string;
}

export interface MultipartBody {
  contentType: string;
  body: Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();

/** Quotes in a field or file name are escaped as browsers do (`%22`); CR/LF too. */
function quoted(name: string): string {
  return name.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function encodeMultipart(
  fields: Readonly<Record<string, string>>,
  files: readonly MultipartFile[],
  boundary = `----moodle-load-${crypto.randomUUID()}`,
): MultipartBody {
  const parts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      encoder.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`,
      ),
    );
  }
  for (const file of files) {
    parts.push(encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(file.field)}"; ` +
        `filename="${quoted(file.filename)}"\r\nContent-Type: ${
          file.type ?? "application/octet-stream"
        }\r\n\r\n`,
    ));
    parts.push(file.bytes, encoder.encode("\r\n"));
  }
  parts.push(encoder.encode(`--${boundary}--\r\n`));
  const body = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    body.set(part, at);
    at += part.length;
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, body };
}
