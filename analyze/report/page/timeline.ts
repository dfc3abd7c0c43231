// The timeline: one row per process under its parent (collapsible), a bar from start to
// end coloured by outcome, on one canvas. Only the rows in view are drawn; the row list
// (what collapsing leaves visible) is rebuilt only when a subtree is opened or closed.
//
// Mouse: wheel scrolls the rows, Ctrl+wheel zooms at the pointer, Shift+wheel pans in
// time, drag pans both. Keys: + - (or W S) zoom, ← → (or A D) pan, ↑ ↓ PageUp PageDown
// scroll, Home shows everything, Enter opens or closes the selected row.

import { formatDuration, formatOffset } from './format.ts';
import { type PageModel, rowName } from './model.ts';
import { Outcome } from './schema.ts';

export const ROW_H = 18;
export const AXIS_H = 24;
const LABEL_W = 300;
const INDENT = 12;
const MAX_INDENT_LEVELS = 20;
const MIN_SPAN_NS = 1000;

const COLOURS: Record<number, string> = {
  [Outcome.ok]: '#4c8bd6',
  [Outcome.failed]: '#d64c4c',
  [Outcome.signalled]: '#9b4cd6',
  [Outcome.running]: '#d6a84c',
  [Outcome.unknown]: '#9a9a9a',
};

export const OUTCOME_NAMES: Record<number, string> = {
  [Outcome.ok]: 'exit 0',
  [Outcome.failed]: 'non-zero exit',
  [Outcome.signalled]: 'killed by a signal',
  [Outcome.running]: 'running at the end',
  [Outcome.unknown]: 'no exit record',
};

export interface VisibleRange {
  t0: number;
  t1: number;
  /** Positions in the visible row list: first and last row on screen. */
  firstRow: number;
  lastRow: number;
}

export class Timeline {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly m: PageModel;
  private readonly collapsed: Uint8Array;
  /** Rows not hidden by a closed ancestor, in order. */
  private visibleRows: Int32Array;
  /** Position of each row in visibleRows, -1 when hidden. */
  private positions: Int32Array;
  private t0: number;
  private t1: number;
  /** First visible position at the top (fractional while scrolling). */
  private scroll = 0;
  private width = 0;
  private height = 0;
  private frame = 0;
  selected = -1;
  /** How long the last frame took to draw, in ms. */
  lastDrawMs = 0;
  /** Rows drawn with a bar in the last frame (for the test hook). */
  lastDrawn: number[] = [];
  /** Stretches of the critical path of each row on it: [start, end, start, end…]. */
  private critical = new Map<number, number[]>();
  onSelect: (row: number) => void = () => {};
  onHover: (row: number, x: number, y: number) => void = () => {};

  constructor(canvas: HTMLCanvasElement, m: PageModel) {
    this.canvas = canvas;
    this.m = m;
    const ctx = canvas.getContext('2d');
    if (ctx === null) throw new Error('no 2D canvas');
    this.ctx = ctx;
    this.collapsed = new Uint8Array(m.rows);
    this.visibleRows = new Int32Array(0);
    this.positions = new Int32Array(m.rows);
    this.t0 = m.timeStart;
    this.t1 = m.timeEnd;
    this.rebuildRows();
    this.listen();
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement ?? canvas);
    this.resize();
  }

  // ------------------------------------------------------------ state

  private rebuildRows(): void {
    const out = new Int32Array(this.m.rows);
    this.positions.fill(-1);
    let k = 0;
    for (let r = 0; r < this.m.rows; ) {
      this.positions[r] = k;
      out[k++] = r;
      r = this.collapsed[r] ? this.m.subtreeEnd[r]! : r + 1;
    }
    this.visibleRows = out.subarray(0, k);
    this.clampScroll();
  }

  private rowsOnScreen(): number {
    return Math.max(1, Math.floor((this.height - AXIS_H) / ROW_H));
  }

  private clampScroll(): void {
    const max = Math.max(0, this.visibleRows.length - this.rowsOnScreen());
    this.scroll = Math.min(Math.max(0, this.scroll), max);
  }

  range(): VisibleRange {
    const first = Math.floor(this.scroll);
    return {
      t0: this.t0,
      t1: this.t1,
      firstRow: first,
      lastRow: Math.min(this.visibleRows.length, first + this.rowsOnScreen()) - 1,
    };
  }

  /** The critical path's contiguous stretches from `start` (row, duration, flattened) to underline on the bars. */
  setCriticalPath(start: number, segments: readonly number[]): void {
    this.critical.clear();
    let t = start;
    for (let i = 0; i + 1 < segments.length; i += 2) {
      const row = segments[i]!;
      let list = this.critical.get(row);
      if (list === undefined) this.critical.set(row, (list = []));
      list.push(t, t + segments[i + 1]!);
      t += segments[i + 1]!;
    }
    this.request();
  }

  /** Position of `row` in the visible row list, -1 when a closed ancestor hides it. */
  positionOf(row: number): number {
    return this.positions[row]!;
  }

  visibleCount(): number {
    return this.visibleRows.length;
  }

  toggle(row: number): void {
    if (this.m.subtreeEnd[row]! <= row + 1) return;
    this.collapsed[row] = this.collapsed[row] ? 0 : 1;
    this.rebuildRows();
    this.request();
  }

  setCollapsedAll(collapse: boolean, belowDepth = 1): void {
    for (let r = 0; r < this.m.rows; r++) {
      this.collapsed[r] = collapse && this.m.depth[r]! >= belowDepth && this.m.subtreeEnd[r]! > r + 1 ? 1 : 0;
    }
    this.rebuildRows();
    this.request();
  }

  /** Zoom by `factor` (< 1 zooms in) around time `at`. */
  zoom(factor: number, at = (this.t0 + this.t1) / 2): void {
    const span = Math.max(MIN_SPAN_NS, (this.t1 - this.t0) * factor);
    const full = this.m.timeEnd - this.m.timeStart;
    const s = Math.min(span, full * 1.2);
    const ratio = (at - this.t0) / (this.t1 - this.t0);
    this.t0 = at - ratio * s;
    this.t1 = this.t0 + s;
    this.request();
  }

  pan(fraction: number): void {
    const d = (this.t1 - this.t0) * fraction;
    this.t0 += d;
    this.t1 += d;
    this.request();
  }

  scrollBy(rows: number): void {
    this.scroll += rows;
    this.clampScroll();
    this.request();
  }

  reset(): void {
    this.t0 = this.m.timeStart;
    this.t1 = this.m.timeEnd;
    this.scroll = 0;
    this.request();
  }

  /** Opens the row's ancestors, selects it, scrolls it into view and brings its bar into the time range. */
  reveal(row: number): void {
    let changed = false;
    for (let a = this.m.data.processes.parent[row]!; a >= 0; a = this.m.data.processes.parent[a]!) {
      if (this.collapsed[a]) {
        this.collapsed[a] = 0;
        changed = true;
      }
    }
    if (changed) this.rebuildRows();
    const pos = this.positions[row]!;
    const onScreen = this.rowsOnScreen();
    if (pos < this.scroll || pos >= this.scroll + onScreen) this.scroll = pos - Math.floor(onScreen / 3);
    this.clampScroll();
    const p = this.m.data.processes;
    const start = p.start[row]!;
    const end = this.m.end[row]! >= 0 ? this.m.end[row]! : this.m.timeEnd;
    if (start < this.t0 || end > this.t1) {
      const span = Math.max(this.t1 - this.t0, (end - start) * 1.25, MIN_SPAN_NS);
      this.t0 = (start + end) / 2 - span / 2;
      this.t1 = this.t0 + span;
    }
    this.select(row);
    this.canvas.scrollIntoView({ block: 'nearest' });
  }

  select(row: number): void {
    this.selected = row;
    this.onSelect(row);
    this.request();
  }

  // ------------------------------------------------------------ drawing

  private resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const rect = this.canvas.getBoundingClientRect();
    this.width = Math.max(200, Math.floor(rect.width));
    this.height = Math.max(AXIS_H + ROW_H, Math.floor(rect.height));
    this.canvas.width = Math.floor(this.width * dpr);
    this.canvas.height = Math.floor(this.height * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.clampScroll();
    this.draw();
  }

  request(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private x(t: number): number {
    return LABEL_W + ((t - this.t0) / (this.t1 - this.t0)) * (this.width - LABEL_W);
  }

  private timeAt(x: number): number {
    return this.t0 + ((x - LABEL_W) / (this.width - LABEL_W)) * (this.t1 - this.t0);
  }

  draw(): void {
    const started = performance.now();
    const { ctx, width, height, m } = this;
    const p = m.data.processes;
    ctx.clearRect(0, 0, width, height);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    this.drawAxis();
    const first = Math.floor(this.scroll);
    const offset = (this.scroll - first) * ROW_H;
    const last = Math.min(this.visibleRows.length, first + this.rowsOnScreen() + 1);
    const drawn: number[] = [];
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, AXIS_H, width, height - AXIS_H);
    ctx.clip();
    for (let k = first; k < last; k++) {
      const r = this.visibleRows[k]!;
      const y = AXIS_H + (k - first) * ROW_H - offset;
      if (r === this.selected) {
        ctx.fillStyle = '#fff3c4';
        ctx.fillRect(0, y, width, ROW_H);
      } else if (k % 2 === 1) {
        ctx.fillStyle = '#f7f7f7';
        ctx.fillRect(0, y, width, ROW_H);
      }
      // bar
      const start = p.start[r]!;
      const end = m.end[r]! < 0 ? m.timeEnd : m.end[r]!;
      const x0 = Math.max(LABEL_W, this.x(start));
      const x1 = Math.min(width, this.x(end));
      if (x1 >= LABEL_W && x0 <= width) {
        ctx.fillStyle = COLOURS[p.outcome[r]!] ?? '#888';
        ctx.fillRect(x0, y + 3, Math.max(1, x1 - x0), ROW_H - 6);
        const critical = this.critical.get(r);
        if (critical !== undefined) {
          ctx.fillStyle = '#111';
          for (let i = 0; i < critical.length; i += 2) {
            const c0 = Math.max(LABEL_W, this.x(critical[i]!));
            const c1 = Math.min(width, this.x(critical[i + 1]!));
            if (c1 >= c0) ctx.fillRect(c0, y + ROW_H - 5, Math.max(1, c1 - c0), 3);
          }
        }
        if (r === this.selected) {
          ctx.strokeStyle = '#000';
          ctx.strokeRect(x0 + 0.5, y + 2.5, Math.max(1, x1 - x0) - 1, ROW_H - 5);
        }
        drawn.push(p.id[r]!);
      }
      // label
      const indent = Math.min(m.depth[r]!, MAX_INDENT_LEVELS) * INDENT;
      ctx.fillStyle = '#555';
      if (m.subtreeEnd[r]! > r + 1) ctx.fillText(this.collapsed[r] ? '▸' : '▾', 4 + indent, y + ROW_H / 2);
      ctx.fillStyle = p.outcome[r] === Outcome.ok ? '#222' : (COLOURS[p.outcome[r]!] ?? '#222');
      const deep = m.depth[r]! > MAX_INDENT_LEVELS ? `[${m.depth[r]}] ` : '';
      const hidden = this.collapsed[r] ? ` (+${m.subtreeEnd[r]! - r - 1})` : '';
      ctx.fillText(
        clip(ctx, `${deep}${rowName(m, r)} ${p.pid[r]}${hidden}`, LABEL_W - 20 - indent),
        16 + indent,
        y + ROW_H / 2,
      );
    }
    ctx.restore();
    ctx.strokeStyle = '#ccc';
    ctx.beginPath();
    ctx.moveTo(LABEL_W - 2.5, 0);
    ctx.lineTo(LABEL_W - 2.5, height);
    ctx.stroke();
    this.lastDrawn = drawn;
    this.lastDrawMs = performance.now() - started;
  }

  private drawAxis(): void {
    const { ctx, width } = this;
    ctx.fillStyle = '#fafafa';
    ctx.fillRect(0, 0, width, AXIS_H);
    const span = this.t1 - this.t0;
    const target = span / Math.max(1, (width - LABEL_W) / 110);
    const step = niceStep(target);
    ctx.fillStyle = '#444';
    ctx.strokeStyle = '#ddd';
    ctx.beginPath();
    for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1; t += step) {
      const x = Math.round(this.x(t)) + 0.5;
      if (x < LABEL_W) continue;
      ctx.moveTo(x, AXIS_H - 6);
      ctx.lineTo(x, this.height);
      ctx.fillText(step >= 1e9 || Math.abs(t) >= 1e9 ? formatOffset(t) : `+${formatDuration(t)}`, x + 3, AXIS_H / 2);
    }
    ctx.stroke();
    ctx.fillStyle = '#222';
    ctx.fillText(`${formatDuration(span)} shown`, 6, AXIS_H / 2);
  }

  // ------------------------------------------------------------ input

  /** Row under a canvas y, or -1. */
  private rowAt(y: number): number {
    if (y < AXIS_H) return -1;
    const k = Math.floor(this.scroll + (y - AXIS_H) / ROW_H);
    return k >= 0 && k < this.visibleRows.length ? this.visibleRows[k]! : -1;
  }

  private listen(): void {
    const c = this.canvas;
    c.tabIndex = 0;
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const rect = c.getBoundingClientRect();
        const x = e.clientX - rect.left;
        if (e.ctrlKey || e.metaKey) this.zoom(Math.exp(e.deltaY * 0.002), this.timeAt(Math.max(LABEL_W, x)));
        else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY))
          this.pan((e.shiftKey ? e.deltaY : e.deltaX) / (this.width - LABEL_W));
        else this.scrollBy(e.deltaY / ROW_H);
      },
      { passive: false },
    );
    let drag: { x: number; y: number; t0: number; t1: number; scroll: number; moved: boolean } | null = null;
    c.addEventListener('mousedown', (e) => {
      const rect = c.getBoundingClientRect();
      drag = {
        x: e.clientX - rect.left,
        y: e.clientY - rect.top,
        t0: this.t0,
        t1: this.t1,
        scroll: this.scroll,
        moved: false,
      };
    });
    window.addEventListener('mousemove', (e) => {
      const rect = c.getBoundingClientRect();
      const x = e.clientX - rect.left;
      const y = e.clientY - rect.top;
      if (drag !== null) {
        const dx = x - drag.x;
        const dy = y - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
        if (drag.moved) {
          const dt = (dx / (this.width - LABEL_W)) * (drag.t1 - drag.t0);
          this.t0 = drag.t0 - dt;
          this.t1 = drag.t1 - dt;
          this.scroll = drag.scroll - dy / ROW_H;
          this.clampScroll();
          this.request();
        }
        return;
      }
      if (x >= 0 && y >= 0 && x < this.width && y < this.height) this.onHover(this.rowAt(y), e.clientX, e.clientY);
    });
    window.addEventListener('mouseup', (e) => {
      if (drag === null) return;
      const wasDrag = drag.moved;
      drag = null;
      if (wasDrag) return;
      const rect = c.getBoundingClientRect();
      const x = e.clientX - rect.left;
      const row = this.rowAt(e.clientY - rect.top);
      if (row < 0) return;
      const indent = Math.min(this.m.depth[row]!, MAX_INDENT_LEVELS) * INDENT;
      if (x < LABEL_W && x >= indent && x < indent + 16) this.toggle(row);
      else this.select(row);
    });
    c.addEventListener('mouseleave', () => this.onHover(-1, 0, 0));
    c.addEventListener('keydown', (e) => {
      if (this.key(e.key)) e.preventDefault();
    });
  }

  /** One key press; true when it did something. */
  key(key: string): boolean {
    const page = this.rowsOnScreen() - 1;
    switch (key) {
      case '+':
      case '=':
      case 'w':
      case 'W':
        this.zoom(0.8);
        return true;
      case '-':
      case '_':
      case 's':
      case 'S':
        this.zoom(1.25);
        return true;
      case 'ArrowLeft':
      case 'a':
      case 'A':
        this.pan(-0.1);
        return true;
      case 'ArrowRight':
      case 'd':
      case 'D':
        this.pan(0.1);
        return true;
      case 'ArrowUp':
        this.scrollBy(-1);
        return true;
      case 'ArrowDown':
        this.scrollBy(1);
        return true;
      case 'PageUp':
        this.scrollBy(-page);
        return true;
      case 'PageDown':
        this.scrollBy(page);
        return true;
      case 'Home':
        this.reset();
        return true;
      case 'Enter':
        if (this.selected >= 0) this.toggle(this.selected);
        return true;
      default:
        return false;
    }
  }
}

/** 1, 2 or 5 times a power of ten, at least `target`. */
function niceStep(target: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(1, target)));
  for (const k of [1, 2, 5, 10]) if (k * p >= target) return k * p;
  return 10 * p;
}

function clip(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}
