// B-trees of a SQLite database file, written bottom-up from sorted input
// (https://www.sqlite.org/fileformat2.html#b_tree_pages): rows in rowid
// order fill table leaves, index records in key order fill index leaves, and
// the interior levels are built over them once the leaves are done. Each
// tree's top page goes to the root page number the schema gave it; every
// other page is appended to the file. No free pages, and no free space inside
// a page but the gap between its cell pointers and its cells.

import { putVarint, varintLength } from './record.ts';

/** Copies src[start, end) to dst at `pos`: a byte loop for short runs (Buffer#copy makes views, costly per call). */
export function copyBytes(src: Uint8Array, start: number, end: number, dst: Uint8Array, pos: number): void {
  if (end - start > 64) {
    dst.set(src.subarray(start, end), pos);
    return;
  }
  for (let i = start; i < end; i++) dst[pos++] = src[i]!;
}

const TABLE_LEAF = 0x0d;
const TABLE_INTERIOR = 0x05;
const INDEX_LEAF = 0x0a;
const INDEX_INTERIOR = 0x02;

/** Where the file goes: memory for its first bytes, and who learns which of them are final. */
export interface PageOutput {
  /** Memory for the first `bytes` of the file (about its expected size). */
  allocate(bytes: number): Buffer;
  /** Bytes [offset, offset + length) of that memory will not change any more (called in file order, at least once per 8 MiB). */
  final?(offset: number, length: number): void;
}

/** Pages handed to PageOutput.final at once. */
const FINAL_STEP = 2048;

/**
 * The file being written, in chunks of consecutive pages: the template's
 * pages, then the ones appended. Pages are built in scratch buffers and
 * copied in once complete; an appended page never changes, the template's
 * (roots, header) change until finish(). The first chunk is as big as the
 * caller's estimate: every big allocation costs a garbage collection of the
 * whole heap (V8 collects when memory outside its heap grows), and pages
 * never written are never touched, so never resident.
 */
export class PageStore {
  readonly pageSize: number;
  private readonly chunks: Buffer[] = [];
  /** First page number (0-based) of each chunk. */
  private readonly firsts: number[] = [];
  private pages = 0;
  private readonly spare: Buffer[] = [];
  private readonly output: PageOutput;
  private readonly templatePages: number;
  /** Pages of the first chunk handed to output.final so far. */
  private finalized: number;

  constructor(template: Buffer, expectedBytes: number, output: PageOutput) {
    this.pageSize = template.readUInt16BE(16) || 65536;
    this.output = output;
    const n = template.length / this.pageSize;
    this.templatePages = this.finalized = n;
    this.firsts.push(0);
    this.chunks.push(output.allocate(Math.max(n, Math.ceil(expectedBytes / this.pageSize)) * this.pageSize));
    for (let i = 0; i < n; i++) template.copy(this.next(), 0, i * this.pageSize, (i + 1) * this.pageSize);
  }

  get count(): number {
    return this.pages;
  }

  private view(pgno: number): Buffer {
    let c = this.chunks.length - 1;
    while (this.firsts[c]! > pgno - 1) c--;
    const at = (pgno - 1 - this.firsts[c]!) * this.pageSize;
    return this.chunks[c]!.subarray(at, at + this.pageSize);
  }

  /** Pages the first chunk holds. */
  private get firstCapacity(): number {
    return this.chunks[0]!.length / this.pageSize;
  }

  /** The next page of the file (content not yet written). */
  private next(): Buffer {
    const last = this.chunks.length - 1;
    if ((this.pages - this.firsts[last]!) * this.pageSize === this.chunks[last]!.length) {
      this.firsts.push(this.pages);
      this.chunks.push(Buffer.allocUnsafeSlow(Math.max(2048, this.pages) * this.pageSize));
    }
    return this.view(++this.pages);
  }

  /** A zeroed page to build in, not part of the file. */
  scratch(): Buffer {
    return this.spare.pop() ?? Buffer.alloc(this.pageSize);
  }

  /** Copies `page` (a scratch page, handed back) to the end of the file; returns its page number. */
  append(page: Buffer): number {
    this.next().set(page);
    this.spare.push(page.fill(0));
    if (this.pages - this.finalized >= FINAL_STEP && this.pages <= this.firstCapacity) this.finalUpTo(this.pages);
    return this.pages;
  }

  private finalUpTo(pages: number): void {
    this.output.final?.(this.finalized * this.pageSize, (pages - this.finalized) * this.pageSize);
    this.finalized = pages;
  }

  /** Copies `page` (a scratch page, handed back) over page `pgno`, a root page of the template. */
  replace(pgno: number, page: Buffer): void {
    this.view(pgno).set(page);
    this.spare.push(page.fill(0));
  }

  /** The file, in chunks; the header's page count and change counter updated, the whole first chunk final. */
  finish(): Buffer[] {
    const head = this.view(1);
    const counter = head.readUInt32BE(24) + 1;
    head.writeUInt32BE(counter, 24);
    head.writeUInt32BE(this.pages, 28);
    head.writeUInt32BE(counter, 92); // version-valid-for: the page count above is current
    this.output.final?.(0, this.templatePages * this.pageSize);
    this.finalUpTo(Math.min(this.pages, this.firstCapacity));
    return this.chunks.map((c, i) => c.subarray(0, Math.min(c.length, (this.pages - this.firsts[i]!) * this.pageSize)));
  }
}

/** Payload bytes kept in the cell (the rest goes to overflow pages), from the file format's formula. */
function localSize(payload: number, maxLocal: number, minLocal: number, usable: number): number {
  if (payload <= maxLocal) return payload;
  const k = minLocal + ((payload - minLocal) % (usable - 4));
  return k <= maxLocal ? k : minLocal;
}

/** One page being filled: cell pointers from the header down, cells from the end up. */
class PageBuilder {
  readonly page: Buffer;
  private readonly headerSize: number;
  private readonly flag: number;
  private top: number;
  cells = 0;
  private lastCell = 0;

  constructor(page: Buffer, flag: number) {
    this.page = page;
    this.flag = flag;
    this.headerSize = flag === TABLE_LEAF || flag === INDEX_LEAF ? 8 : 12;
    this.top = page.length;
  }

  fits(cellSize: number): boolean {
    return this.headerSize + 2 * (this.cells + 1) + Math.max(cellSize, 4) <= this.top;
  }

  /** Reserves a cell of `size` bytes (at least 4, SQLite's minimum) and returns its offset. */
  add(size: number): number {
    this.top -= Math.max(size, 4);
    this.page.writeUInt16BE(this.top, this.headerSize + 2 * this.cells);
    this.cells++;
    this.lastCell = size;
    return this.top;
  }

  /** Takes the last cell back out; returns a copy of its bytes. */
  removeLast(): Buffer {
    const size = Math.max(this.lastCell, 4);
    const cell = Buffer.from(this.page.subarray(this.top, this.top + this.lastCell));
    this.page.fill(0, this.top, this.top + size);
    this.top += size;
    this.cells--;
    this.page.writeUInt16BE(0, this.headerSize + 2 * this.cells);
    return cell;
  }

  /** Writes the page header; `right` is the right-most child of an interior page. */
  finish(right = 0): Buffer {
    const p = this.page;
    p[0] = this.flag;
    p.writeUInt16BE(0, 1); // no freeblocks
    p.writeUInt16BE(this.cells, 3);
    p.writeUInt16BE(this.top === 65536 ? 0 : this.top, 5);
    p[7] = 0; // no fragmented bytes
    if (this.headerSize === 12) p.writeUInt32BE(right, 8);
    return p;
  }
}

/**
 * Leaves as they are completed: all but the first are appended at once; the
 * first waits to see whether it is the only one (then it is the root).
 */
class LeafLevel {
  private readonly store: PageStore;
  private held: Buffer | null = null;
  readonly pgnos: number[] = [];
  closed = 0;

  constructor(store: PageStore) {
    this.store = store;
  }

  push(page: Buffer): void {
    if (this.held !== null) {
      this.pgnos.push(this.store.append(this.held));
      this.held = null;
    }
    if (this.closed++ === 0) this.held = page;
    else this.pgnos.push(this.store.append(page));
  }

  /** The only leaf, when there was just one (it becomes the root); null when they were all appended. */
  only(): Buffer | null {
    return this.held;
  }
}

/** Writes payloads into cells (at most the page kind's local size) and overflow pages. */
class CellWriter {
  protected readonly store: PageStore;
  private readonly usable: number;
  private readonly maxLocal: number;
  private readonly minLocal: number;

  constructor(store: PageStore, maxLocal: number) {
    this.store = store;
    this.usable = store.pageSize;
    this.maxLocal = maxLocal;
    this.minLocal = Math.floor(((this.usable - 12) * 32) / 255) - 23;
  }

  /** Bytes of the payload's part of a cell: its local part, plus the overflow page number when it spills. */
  payloadCellSize(payload: number): number {
    const local = localSize(payload, this.maxLocal, this.minLocal, this.usable);
    return local + (local < payload ? 4 : 0);
  }

  /** Writes src[start, end) as the payload part of a cell at `pos` of `out`, appending its overflow pages; returns the end. */
  putPayload(out: Buffer, pos: number, src: Buffer, start: number, end: number): number {
    const local = localSize(end - start, this.maxLocal, this.minLocal, this.usable);
    copyBytes(src, start, start + local, out, pos);
    if (start + local === end) return pos + local;
    out.writeUInt32BE(this.overflow(src, start + local, end), pos + local);
    return pos + local + 4;
  }

  /** Overflow pages for src[from, end): each holds the next page's number, then usable - 4 bytes. Returns the first. */
  private overflow(src: Buffer, from: number, end: number): number {
    const chunk = this.usable - 4;
    const first = this.store.count + 1;
    for (let off = from; off < end; off += chunk) {
      const page = this.store.scratch();
      src.copy(page, 4, off, Math.min(off + chunk, end));
      page.writeUInt32BE(off + chunk < end ? this.store.count + 2 : 0, 0);
      this.store.append(page);
    }
    return first;
  }
}

/** A rowid table's B-tree, from rows added in increasing rowid order. */
export class TableTree extends CellWriter {
  private readonly root: number;
  private readonly leaves: LeafLevel;
  private readonly maxRowids: number[] = [];
  private leaf: PageBuilder;
  private lastRowid = -Infinity;

  constructor(store: PageStore, root: number) {
    super(store, store.pageSize - 35);
    this.root = root;
    this.leaves = new LeafLevel(store);
    this.leaf = new PageBuilder(store.scratch(), TABLE_LEAF);
  }

  /** Adds the row `rowid` whose record is src[start, end). */
  add(rowid: number, src: Buffer, start: number, end: number): void {
    if (!(rowid > this.lastRowid)) throw new Error(`rowids out of order: ${rowid} after ${this.lastRowid}`);
    const payload = end - start;
    const size = varintLength(payload) + varintLength(rowid) + this.payloadCellSize(payload);
    if (!this.leaf.fits(size)) this.closeLeaf();
    const at = this.leaf.add(size);
    const page = this.leaf.page;
    this.putPayload(page, putVarint(page, putVarint(page, at, payload), rowid), src, start, end);
    this.lastRowid = rowid;
  }

  private closeLeaf(): void {
    this.leaves.push(this.leaf.finish());
    this.maxRowids.push(this.lastRowid);
    this.leaf = new PageBuilder(this.store.scratch(), TABLE_LEAF);
  }

  finish(): void {
    if (this.leaf.cells > 0 || this.leaves.closed === 0) this.closeLeaf();
    const only = this.leaves.only();
    if (only !== null) {
      this.store.replace(this.root, only);
      return;
    }
    let level = this.leaves.pgnos.map((pgno, i) => ({ pgno, maxRowid: this.maxRowids[i]! }));
    for (;;) {
      const pages = this.interiorLevel(level);
      if (pages.length === 1) {
        this.store.replace(this.root, pages[0]!.page);
        return;
      }
      level = pages.map((p) => ({ pgno: this.store.append(p.page), maxRowid: p.maxRowid }));
    }
  }

  /** Interior pages over `children`: a cell (child, its largest rowid) each, the last child of a page as its right pointer. */
  private interiorLevel(children: { pgno: number; maxRowid: number }[]): { page: Buffer; maxRowid: number }[] {
    const cellSize = (c: { maxRowid: number }): number => 4 + varintLength(c.maxRowid);
    // Page boundaries: as many children as fit, and never a last page of one child (no cell).
    const groups: (typeof children)[] = [];
    let group: typeof children = [];
    let used = 12;
    for (const c of children) {
      const size = cellSize(c) + 2;
      if (group.length > 0 && used + size > this.store.pageSize) {
        groups.push(group);
        group = [];
        used = 12;
      }
      group.push(c);
      used += size;
    }
    groups.push(group);
    if (group.length === 1 && groups.length > 1) group.unshift(groups[groups.length - 2]!.pop()!);
    return groups.map((g) => {
      const b = new PageBuilder(this.store.scratch(), TABLE_INTERIOR);
      for (let i = 0; i < g.length - 1; i++) {
        const at = b.add(cellSize(g[i]!));
        b.page.writeUInt32BE(g[i]!.pgno, at);
        putVarint(b.page, at + 4, g[i]!.maxRowid);
      }
      const last = g[g.length - 1]!;
      return { page: b.finish(last.pgno), maxRowid: last.maxRowid };
    });
  }
}

/**
 * An index B-tree (an index, or a WITHOUT ROWID table), from records added in
 * key order. Every entry is stored once: leaves hold runs of entries, and the
 * entry between two neighbouring leaves moves up into their parent.
 */
export class IndexTree extends CellWriter {
  private readonly root: number;
  private readonly leaves: LeafLevel;
  /** dividers[i]: the entry between leaves i and i + 1, as its cell bytes without the child pointer. */
  private readonly dividers: Buffer[] = [];
  private leaf: PageBuilder;
  /** An entry that did not fit in the current leaf: the divider after it, once another entry follows. */
  private pending: Buffer | null = null;

  constructor(store: PageStore, root: number) {
    super(store, Math.floor(((store.pageSize - 12) * 64) / 255) - 23);
    this.root = root;
    this.leaves = new LeafLevel(store);
    this.leaf = new PageBuilder(store.scratch(), INDEX_LEAF);
  }

  /** Adds the entry whose record is src[start, end). */
  add(src: Buffer, start: number, end: number): void {
    const payload = end - start;
    const size = varintLength(payload) + this.payloadCellSize(payload);
    if (this.pending !== null) {
      this.closeLeaf(this.pending);
      this.pending = null;
    } else if (!this.leaf.fits(size)) {
      this.pending = Buffer.allocUnsafe(size);
      this.putPayload(this.pending, putVarint(this.pending, 0, payload), src, start, end);
      return;
    }
    const page = this.leaf.page;
    this.putPayload(page, putVarint(page, this.leaf.add(size), payload), src, start, end);
  }

  private closeLeaf(divider: Buffer): void {
    this.leaves.push(this.leaf.finish());
    this.dividers.push(divider);
    this.leaf = new PageBuilder(this.store.scratch(), INDEX_LEAF);
  }

  finish(): void {
    if (this.pending !== null) {
      // The last entry did not fit: the leaf's own last entry becomes the divider, the pending one the last leaf.
      this.closeLeaf(this.leaf.removeLast());
      this.pending.copy(this.leaf.page, this.leaf.add(this.pending.length));
    }
    this.leaves.push(this.leaf.finish());
    const only = this.leaves.only();
    if (only !== null) {
      this.store.replace(this.root, only);
      return;
    }
    let children = this.leaves.pgnos;
    let dividers = this.dividers;
    for (;;) {
      const up = this.interiorLevel(children, dividers);
      if (up.pages.length === 1) {
        this.store.replace(this.root, up.pages[0]!);
        return;
      }
      children = up.pages.map((p) => this.store.append(p));
      dividers = up.dividers;
    }
  }

  /**
   * Interior pages over children C0 D1 C1 … Dm Cm (dividers between them):
   * cells (Ci, Di+1) while they fit, the next child as the right pointer, and
   * the divider after it moves up a level.
   */
  private interiorLevel(children: number[], dividers: Buffer[]): { pages: Buffer[]; dividers: Buffer[] } {
    // ends[k]: the position of page k's right child.
    const ends: number[] = [];
    let used = 12;
    let cells = 0;
    for (let i = 0; i < children.length - 1; i++) {
      const size = 4 + dividers[i]!.length + 2;
      if (cells > 0 && used + size > this.store.pageSize) {
        ends.push(i); // children[i] is the right child, dividers[i] moves up
        used = 12;
        cells = 0;
        continue;
      }
      used += size;
      cells++;
    }
    ends.push(children.length - 1);
    // A last page with no cell (only its right child): its left neighbour gives up its last cell.
    const n = ends.length;
    if (n > 1 && ends[n - 1] === ends[n - 2]! + 1) ends[n - 2]!--;
    const pages: Buffer[] = [];
    const up: Buffer[] = [];
    let first = 0;
    for (const end of ends) {
      const b = new PageBuilder(this.store.scratch(), INDEX_INTERIOR);
      for (let i = first; i < end; i++) {
        const d = dividers[i]!;
        const at = b.add(4 + d.length);
        b.page.writeUInt32BE(children[i]!, at);
        d.copy(b.page, at + 4);
      }
      pages.push(b.finish(children[end]!));
      if (end < children.length - 1) up.push(dividers[end]!);
      first = end + 1;
    }
    return { pages, dividers: up };
  }
}
