/** Human units for the screen only (files keep raw numbers). */

const BINARY = ["B", "KiB", "MiB", "GiB", "TiB"];
const DECIMAL = ["B", "kB", "MB", "GB", "TB"];

function scaled(bytes: number, base: number, units: string[]): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= base && unit < units.length - 1) {
    value /= base;
    unit++;
  }
  return unit === 0 ? `${value}${units[0]}` : `${value.toFixed(value < 10 ? 2 : 1)}${units[unit]}`;
}

/** 1.5MiB — memory, as `docker stats` shows it. */
export const binaryBytes = (bytes: number): string => scaled(bytes, 1024, BINARY);
/** 1.5MB — network and block I/O, as `docker stats` shows them. */
export const decimalBytes = (bytes: number): string => scaled(bytes, 1000, DECIMAL);

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)}s`;
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

/** 75 → "1m15s"; 3600 → "1h00m00s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h) return `${h}h${String(m).padStart(2, "0")}m${String(rest).padStart(2, "0")}s`;
  if (m) return `${m}m${String(rest).padStart(2, "0")}s`;
  return `${rest}s`;
}

export function progressBar(fraction: number, width = 30): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const full = Math.round(clamped * width);
  return `[${"#".repeat(full)}${".".repeat(width - full)}] ${(clamped * 100).toFixed(0).padStart(3)}%`;
}

/** Parse "90", "90s", "2m", "1h", "500ms" (or a number of seconds) into seconds. */
export function parseDurationSeconds(value: string | number): number {
  if (typeof value === "number") return value;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new Error(`not a duration: "${value}" (use 90, 90s, 2m or 1h)`);
  const n = Number(match[1]);
  return match[2] === "ms" ? n / 1000 : match[2] === "m" ? n * 60 : match[2] === "h" ? n * 3600 : n;
}

/**
 * Parse a byte size: "512K", "64M", "1G" (binary units: K = 1024), optionally with "B"/"iB"
 * ("64MiB", "64MB"), or a plain number of bytes. Returns bytes (a whole number).
 */
export function parseByteSize(value: string | number): number {
  if (typeof value === "number") return Math.floor(value);
  const match = /^(\d+(?:\.\d+)?)\s*(?:([KMGT])(?:i?B)?|B)?$/i.exec(value.trim());
  if (!match) throw new Error(`not a size: "${value}" (use bytes or 512K, 64M, 1G)`);
  const power = match[2] ? "KMGT".indexOf(match[2].toUpperCase()) + 1 : 0;
  return Math.floor(Number(match[1]) * 1024 ** power);
}
