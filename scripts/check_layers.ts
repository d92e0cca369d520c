/**
 * The layer rules of docs/architecture.md, checked from the imports of `src/` (run by `deno task check`):
 * 1. no import cycle between folders (a file directly under src/ is a node of its own);
 * 2. no import cycle between files (lazy `import()` included: a cycle is a cycle however it loads);
 * 3. `src/engine/` imports nothing of ours but `src/engine/` and `src/util/` (npm packages are fine).
 * Prints every violation with the importing file and exits 1 when there is one.
 */
import { dirname, join, normalize, relative } from "node:path";

const SRC = "src";
const ENGINE_MAY_IMPORT = new Set(["engine", "util"]);
const IMPORT = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

export interface Edge {
  from: string;
  to: string;
  file: string;
}

/** "engine" for src/engine/x.ts and src/engine/sub/y.ts; "errors.ts" for src/errors.ts. */
export function folderOf(pathUnderSrc: string): string {
  return pathUnderSrc.split("/")[0];
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

/**
 * Every import between two different nodes of src/ (imports leaving src/, e.g. deno.json, are kept).
 * `nodeOf` maps a path under src/ to its node: its folder (the default) or itself.
 */
export function importEdges(
  files: Iterable<[path: string, text: string]>,
  nodeOf: (pathUnderSrc: string) => string = folderOf,
): Edge[] {
  const edges: Edge[] = [];
  for (const [file, text] of files) {
    const from = nodeOf(relative(SRC, file));
    for (const match of text.matchAll(IMPORT)) {
      const target = normalize(join(dirname(file), match[1]));
      const under = relative(SRC, target);
      const to = under.startsWith("..") ? `(outside src) ${target}` : nodeOf(under);
      if (to !== from) edges.push({ from, to, file });
    }
  }
  return edges;
}

/** Cycles as lists of nodes (Tarjan's strongly connected components of size > 1). */
export function cycles(edges: readonly Edge[]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!graph.has(from)) graph.set(from, new Set());
    if (!graph.has(to)) graph.set(to, new Set());
    graph.get(from)!.add(to);
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)!) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

function cycleProblems(edges: readonly Edge[]): string[] {
  return cycles(edges).map((cycle) => {
    const members = new Set(cycle);
    const inside = edges.filter((e) => members.has(e.from) && members.has(e.to));
    return `import cycle between ${cycle.join(", ")}: ${inside.map((e) => `${e.file} → ${e.to}`).join("; ")}`;
  });
}

export function layerViolations(folderEdges: readonly Edge[], fileEdges: readonly Edge[] = []): string[] {
  const problems = [...cycleProblems(folderEdges), ...cycleProblems(fileEdges)];
  for (const edge of folderEdges) {
    if (edge.from === "engine" && !ENGINE_MAY_IMPORT.has(edge.to)) {
      problems.push(`${edge.file} imports ${edge.to}: src/engine/ may import only src/util/`);
    }
  }
  return problems;
}

if (import.meta.main) {
  const files = [...sourceFiles(SRC)].map((path): [string, string] => [path, Deno.readTextFileSync(path)]);
  const problems = layerViolations(importEdges(files), importEdges(files, (path) => path));
  for (const problem of problems) console.error(`check_layers: ${problem}`);
  if (problems.length > 0) Deno.exit(1);
  console.log(`check_layers: ${files.length} files, no folder or file cycle, engine imports only util/`);
}
