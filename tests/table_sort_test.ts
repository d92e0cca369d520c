/**
 * The report's sortable tables: the rule the page runs (SORT_RULES_JS, evaluated here as it is shipped)
 * and the markup table() writes for it (raw numbers in data-sort, pinned total rows).
 */
import assert from "node:assert/strict";
import { SORT_RULES_JS } from "../src/report/table_sort.ts";
import { sortCell, table } from "../src/report/html.ts";

type Key = number | string | null;
const rules = new Function(
  `${SORT_RULES_JS}; return { sortKey, compareKeys, nextDirection, orderOf };`,
)() as {
  sortKey: (raw: string | null, text: string) => Key;
  compareKeys: (a: Key, b: Key, dir: number) => number;
  nextDirection: (same: boolean, current: number, numeric: boolean) => number;
  orderOf: (keys: Key[], pinned: boolean[], dir: number) => number[];
};

Deno.test("sort key: the raw number in data-sort, not the formatted text; text otherwise; '–' has none", () => {
  assert.equal(rules.sortKey("1234", "1,234"), 1234);
  assert.equal(rules.sortKey("9.5", "9.5 ms"), 9.5);
  assert.equal(rules.sortKey("12000", "12.0 s"), 12000);
  assert.equal(rules.sortKey("course_view", "course_view/course/view.php"), "course_view");
  assert.equal(rules.sortKey(null, " http_5xx "), "http_5xx");
  assert.equal(rules.sortKey(null, "–"), null);
  assert.equal(rules.sortKey(null, ""), null);
  assert.equal(rules.sortKey(null, "1,234"), "1,234", "formatted text is no number: only data-sort is");
  // formatted text would sort "12.0 s" before "9.5 ms"; the raw numbers do not
  const cells: [string, string][] = [["12000", "12.0 s"], ["9.5", "9.5 ms"], ["150", "150 ms"]];
  const keys = cells.map(([raw, text]) => rules.sortKey(raw, text));
  assert.deepEqual(rules.orderOf(keys, [false, false, false], 1).map((k) => cells[k][1]), [
    "9.5 ms",
    "150 ms",
    "12.0 s",
  ]);
});

Deno.test("order: a click reverses the last; nulls last both ways; natural text order; pinned rows stay", () => {
  assert.equal(rules.nextDirection(false, 0, true), -1, "figures: largest first");
  assert.equal(rules.nextDirection(false, 0, false), 1, "text: A to Z");
  assert.equal(rules.nextDirection(true, -1, true), 1, "second click reverses");
  assert.equal(rules.nextDirection(true, 1, true), -1);
  assert.equal(rules.nextDirection(false, 1, true), -1, "another column starts afresh");
  const keys: Key[] = [3, null, 10, 1, 3];
  assert.deepEqual(rules.orderOf(keys, keys.map(() => false), -1), [2, 0, 4, 3, 1], "ties keep their order");
  assert.deepEqual(rules.orderOf(keys, keys.map(() => false), 1), [3, 0, 4, 2, 1], "null last ascending too");
  assert.deepEqual(rules.orderOf(["item 10", "Item 2", "item 1"], [false, false, false], 1), [2, 1, 0]);
  // the total row (last, pinned) stays last; the overall row (first, pinned) stays first
  assert.deepEqual(rules.orderOf([5, 9, 7, 21], [false, false, false, true], -1), [1, 2, 0, 3]);
  assert.deepEqual(rules.orderOf([21, 5, 9, 7], [true, false, false, false], 1), [0, 1, 3, 2]);
});

Deno.test("table(): sortable headers, raw values in data-sort (escaped), pinned rows marked", () => {
  const html = table(
    ["Endpoint", "Requests", "p95"],
    [
      ["a", sortCell("1,234", 1234), sortCell("12.0 s", 12000)],
      ['b"<', sortCell("7", 7), sortCell("–", undefined)],
      ["all", sortCell("1,241", 1241), sortCell("–", NaN)],
    ],
    { id: "t", pinned: [2] },
  );
  assert.match(html, /<table class="sortable" id="t">/);
  assert.equal(html.match(/<th[^>]*tabindex="0"[^>]*>/g)?.length, 3);
  assert.match(html, /<td class="num" data-sort="1234">1,234<\/td>/);
  assert.match(html, /<td class="num" data-sort="12000">12.0 s<\/td>/);
  assert.match(html, /<td class="num">–<\/td>/, "no value, no data-sort");
  assert.doesNotMatch(html, /data-sort="NaN"/);
  assert.equal(html.match(/<tr data-pinned>/g)?.length, 1);
  assert.match(html, /<tr data-pinned><td>all<\/td>/);
  assert.equal(html.match(/data-sort="[^"]*"/g)?.length, 4);
  assert.match(table(["x"], [[sortCell("q", 'a"b')]], { numeric: [false] }), /data-sort="a&quot;b"/);
});
