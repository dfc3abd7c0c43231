// Searching the `tree --dedup` text: the matching lines and the node lines above them
// (their ancestors), found from the tree-drawing prefixes alone. Pure (tested in Node).

/** Width of the tree-drawing prefix of a `tree` line (│ ├ └ ─ and spaces). */
function leadWidth(line: string): number {
  let i = 0;
  while (i < line.length && '│├└─ '.includes(line[i]!)) i++;
  return i;
}

/** A line that starts a node (a root, or a prefix ending in ├─ or └─), not a note below one. */
function isNodeLine(line: string, lead: number): boolean {
  return lead === 0 || line[lead - 2] === '─';
}

/** Indices of the lines matching `query` and of the node lines above them (their ancestors). */
export function treeMatches(lines: readonly string[], query: string): number[] {
  const q = query.toLowerCase();
  const keep = new Uint8Array(lines.length);
  const leads = lines.map(leadWidth);
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.toLowerCase().includes(q)) continue;
    keep[i] = 1;
    let limit = leads[i]!;
    for (let j = i - 1; j >= 0 && limit > 0; j--) {
      if (leads[j]! < limit && isNodeLine(lines[j]!, leads[j]!)) {
        if (keep[j]) break; // its ancestors are kept already
        keep[j] = 1;
        limit = leads[j]!;
      }
    }
  }
  const out: number[] = [];
  for (let i = 0; i < lines.length; i++) if (keep[i]) out.push(i);
  return out;
}
