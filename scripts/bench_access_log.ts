/**
 * The real Moodle kit's nginx access log as a third, independent clock for the real-client step of
 * bench_load.ts. The kit logs every request as
 * `127.0.0.1 [time] "GET /course/view.php?id=2&client=hey HTTP/1.1" 200 551234 rt=0.123 urt=0.122`:
 * `rt` is nginx's $request_time (first request byte read → last response byte handed to the socket)
 * and `urt` its $upstream_response_time (PHP's answer, as nginx received it), both in ms resolution.
 * Each client's requests carry their own `client=` query tag (Moodle ignores parameters it does not
 * know), so the site's own time for each client's requests can be set beside what each client
 * measured: when the clients differ by as much as the site's times do, the difference is the site's,
 * not the client's.
 */

export interface AccessEntry {
  /** The request's `client=` tag. */
  client: string;
  status: number;
  /** nginx $request_time, ms. */
  requestMs: number;
  /** nginx $upstream_response_time (PHP), ms. */
  upstreamMs: number;
}

const LINE = /"[A-Z]+ [^"]*[?&]client=([\w-]+)[^"]*" (\d{3}) \d+ rt=([\d.]+) urt=([\d.]+)/;

/** The tagged entries of `text` (lines of the kit's log format); other lines are skipped. */
export function parseAccessLog(text: string): AccessEntry[] {
  const entries: AccessEntry[] = [];
  for (const line of text.split("\n")) {
    const match = LINE.exec(line);
    if (!match) continue;
    entries.push({
      client: match[1],
      status: Number(match[2]),
      requestMs: Number(match[3]) * 1000,
      upstreamMs: Number(match[4]) * 1000,
    });
  }
  return entries;
}

/** The log's size now: read from here with `entriesSince` to see only what came after. */
export function logOffset(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

/** Tagged entries written to `path` since `offset` (nginx writes each line when its request ends). */
export function entriesSince(path: string, offset: number): AccessEntry[] {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch {
    return [];
  }
  return parseAccessLog(new TextDecoder().decode(bytes.subarray(offset)));
}

/**
 * Each of `client`'s requests as the client measured it minus nginx's time for the same request,
 * paired in order (one connection per client: the log's order is the client's), or undefined when
 * the counts differ (a request the log missed, or one the client did not count).
 */
export function ownTimesMs(
  entries: AccessEntry[],
  client: string,
  measuredMs: number[],
): number[] | undefined {
  const own = entries.filter((entry) => entry.client === client);
  if (own.length !== measuredMs.length) return undefined;
  return measuredMs.map((ms, i) => ms - own[i].requestMs);
}
