/**
 * Compression as a web server in front of Moodle does it (Apache mod_deflate, nginx gzip): an HTML,
 * JavaScript, CSS or JSON answer is gzipped when the request's Accept-Encoding allows it. The whole
 * body is compressed at once (level 1: cheap, the demo shares the CPU with the generator), so the
 * answer carries a Content-Length and a client can tell wire bytes from page bytes.
 */
import { gzipSync } from "node:zlib";

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml))/;
/** Below this a gzip header costs more than it saves (nginx's gzip_min_length is 20; Apache's ~68). */
const MIN_BYTES = 256;

/** `response` gzipped for `request` when both sides allow it; otherwise `response` itself. */
export async function compressFor(request: Request, response: Response): Promise<Response> {
  if (!acceptsGzip(request.headers.get("accept-encoding"))) return response;
  const type = response.headers.get("content-type") ?? "";
  if (response.body === null || response.headers.has("content-encoding") || !COMPRESSIBLE.test(type)) {
    return response;
  }
  const plain = new Uint8Array(await response.arrayBuffer());
  const headers = new Headers(response.headers);
  headers.append("vary", "Accept-Encoding");
  if (plain.byteLength < MIN_BYTES) return new Response(plain, { status: response.status, headers });
  headers.set("content-encoding", "gzip");
  headers.delete("content-length");
  return new Response(new Uint8Array(gzipSync(plain, { level: 1 })), { status: response.status, headers });
}

/** "gzip" listed with a q-value above 0 (or none). */
export function acceptsGzip(acceptEncoding: string | null): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding.trim() !== "gzip" && coding.trim() !== "x-gzip") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
