/** Plain aligned text tables for the terminal (no borders, so CI logs stay readable). */
import Table from "cli-table3";

export type Align = "left" | "right";

export interface TableOptions {
  /** Per-column alignment; numbers read best right-aligned (the default for all but the first). */
  align?: Align[];
}

export function renderTable(head: string[], rows: (string | number)[][], options: TableOptions = {}): string {
  const align = options.align ?? head.map((_, index) => (index === 0 ? "left" : "right"));
  const table = new Table({
    head,
    colAligns: align,
    style: { head: [], border: [], compact: true, "padding-left": 0, "padding-right": 2 },
    chars: {
      top: "",
      "top-mid": "",
      "top-left": "",
      "top-right": "",
      bottom: "",
      "bottom-mid": "",
      "bottom-left": "",
      "bottom-right": "",
      left: "",
      "left-mid": "",
      mid: "",
      "mid-mid": "",
      right: "",
      "right-mid": "",
      middle: "",
    },
  });
  for (const row of rows) table.push(row.map(String));
  return table.toString().split("\n").map((line) => line.trimEnd()).join("\n");
}
