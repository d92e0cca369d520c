/**
 * Runs in a report page: tables wider than their box (they would scroll sideways), and how far the
 * page itself is wider than the window (0 when it is not).
 */
export const OVERFLOW = `({
  tables: [...document.querySelectorAll(".table-wrap")].filter((w) => w.scrollWidth > w.clientWidth + 1)
    .map((w) => (w.querySelector("table")?.id || "?") + " " + w.scrollWidth + ">" + w.clientWidth),
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
})`;
