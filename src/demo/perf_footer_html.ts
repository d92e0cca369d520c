/** Moodle's performance footer (perfdebug) as the demo server prints it, with real figures. */

export interface PerfFigures {
  timeUsedSec: number;
  memoryBytes: number;
  memoryPeakBytes: number;
  includedFiles: number;
  getStringCalls: number;
  dbReads: number;
  dbWrites: number;
  dbTimeSec: number;
  sessionSizeBytes: number;
  sessionWaitSec: number;
}

/** Moodle's display_size(): 1024-based, one decimal, units "bytes", "KB", "MB", "GB". */
export function displaySize(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${Math.round(bytes)} bytes`;
}

/** The footer block, in the shape a 4.3 site prints (see docs/moodle-protocol.md). */
export function perfFooterHtml(f: PerfFigures): string {
  return `<div class="performanceinfo siteinfo container-fluid px-md-0 overflow-auto pt-3">` +
    `<ul class="list-unstyled row mx-md-0"><li class="timeused col-sm-4">${
      f.timeUsedSec.toFixed(6)
    } secs</li>\n` +
    `<li class="memoryused col-sm-4">RAM: ${displaySize(f.memoryBytes)}</li> ` +
    `<li class="memoryused col-sm-4">RAM peak: ${displaySize(f.memoryPeakBytes)}</li></ul>\n` +
    `<ul class="list-unstyled row mx-md-0"><li class="included col-sm-4">Included ${f.includedFiles} files</li>\n` +
    `<li class='langcountgetstring col-sm-4'>get_string calls: ${f.getStringCalls} </li>\n` +
    `<li class="dbqueries col-sm-4">DB reads/writes: ${f.dbReads}/${f.dbWrites}</li>\n` +
    `<li class="dbtime col-sm-4">DB queries time: ${f.dbTimeSec.toFixed(5)} secs</li>\n` +
    `<li class="serverload col-sm-4">Load average: ${loadAverage()}</li>\n` +
    `<li class="serverload col-sm-4"><div class="sessionsize">Session (core\\session\\file): ${
      displaySize(f.sessionSizeBytes)
    }</div></li>\n` +
    `<li class="sessionwait col-sm-4">Session wait: ${f.sessionWaitSec.toFixed(3)} secs</li></ul>\n` +
    `<table class="cachesused table table-bordered table-sm w-auto"><thead><tr><th>Mode</th><th>Cache</th>` +
    `<th>Hits</th><th>Misses</th><th>Sets</th></tr></thead><tbody>` +
    `<tr><td>Application</td><td>core/config</td><td>${f.dbReads * 2}</td><td>0</td><td>0</td></tr>` +
    `<tr><td>Session</td><td>core/navigation_cache</td><td>1</td><td>0</td><td>0</td></tr></tbody></table></div>`;
}

let cachedLoad = { at: 0, text: "0.00" };

function loadAverage(): string {
  const now = Date.now();
  if (now - cachedLoad.at > 1000) {
    let text = "0.00";
    // Only when already granted: never prompt for a figure that is decoration here.
    if (Deno.permissions.querySync({ name: "sys", kind: "loadavg" }).state === "granted") {
      text = Deno.loadavg()[0].toFixed(2);
    }
    cachedLoad = { at: now, text };
  }
  return cachedLoad.text;
}
