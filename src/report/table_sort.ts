/**
 * Sortable tables in the report pages (the run report and the A/B report): a click on a column's
 * header (or Enter on it) sorts the rows by that column, a second click reverses, an arrow shows the
 * order. Inline in the page (works offline, no dependency). A cell sorts by its `data-sort` — the raw
 * number behind formatted text like "1,234", "12.5 ms" or "3 (0.80%)", written by html.ts's `table()`
 * — else by its text. Rows marked `data-pinned` (the "all endpoints" total, the verdict's overall row)
 * keep their place.
 *
 * SORT_RULES_JS is plain JS so the page and the unit test (tests/table_sort_test.ts) run the same code.
 */
export const SORT_RULES_JS = String.raw`
// The key a cell sorts by: the number in its data-sort when that is one, else the data-sort or the
// text as a string; "" and "–" (no value) are null and sort last in either direction.
function sortKey(raw, text) {
  var value = raw !== null && raw !== undefined ? String(raw).trim() : String(text).trim();
  if (value === "" || value === "–") return null;
  if (raw !== null && raw !== undefined) {
    var n = Number(value);
    if (isFinite(n)) return n;
  }
  return value;
}

// dir 1: ascending, -1: descending. Nulls last either way; numbers before text; text in natural
// order ("item 2" before "item 10"), case ignored.
function compareKeys(a, b, dir) {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  var an = typeof a === "number", bn = typeof b === "number";
  if (an && bn) return (a - b) * dir;
  if (an !== bn) return (an ? -1 : 1) * dir;
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" }) * dir;
}

// A first click sorts figures largest first and text A to Z; a click on the sorted column reverses.
function nextDirection(sameColumn, currentDir, numeric) {
  if (sameColumn && currentDir) return -currentDir;
  return numeric ? -1 : 1;
}

// The rows' new order (indices into keys): unpinned rows sorted (ties keep their order), pinned rows
// stay in their slots.
function orderOf(keys, pinned, dir) {
  var free = [];
  for (var i = 0; i < keys.length; i++) if (!pinned[i]) free.push(i);
  free.sort(function (x, y) { return compareKeys(keys[x], keys[y], dir) || x - y; });
  var out = [], k = 0;
  for (var j = 0; j < keys.length; j++) out.push(pinned[j] ? j : free[k++]);
  return out;
}
`;

/** The page script: every table's header cells sort their table. */
export const TABLE_SORT_JS = String.raw`
(function () {
  "use strict";
  ${SORT_RULES_JS}
  function sortBy(table, column) {
    var body = table.tBodies[0];
    var heads = table.tHead.rows[0].cells;
    if (!body) return;
    var rows = Array.prototype.slice.call(body.rows);
    var same = table.getAttribute("data-sorted-by") === String(column);
    var dir = nextDirection(same, Number(table.getAttribute("data-sort-dir")) || 0,
      heads[column].classList.contains("num"));
    var keys = rows.map(function (row) {
      var cell = row.cells[column];
      return cell ? sortKey(cell.getAttribute("data-sort"), cell.textContent) : null;
    });
    var pinned = rows.map(function (row) { return row.hasAttribute("data-pinned"); });
    orderOf(keys, pinned, dir).forEach(function (k) { body.appendChild(rows[k]); });
    table.setAttribute("data-sorted-by", String(column));
    table.setAttribute("data-sort-dir", String(dir));
    Array.prototype.forEach.call(heads, function (head, i) {
      head.setAttribute("aria-sort", i !== column ? "none" : dir > 0 ? "ascending" : "descending");
      var arrow = head.querySelector(".sort-arrow");
      if (arrow) arrow.textContent = i !== column ? "" : dir > 0 ? " ▲" : " ▼";
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    if (!table.tHead || !table.tHead.rows.length) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (head, column) {
      head.addEventListener("click", function () { sortBy(table, column); });
      head.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, column); }
      });
    });
  });
})();
`;
