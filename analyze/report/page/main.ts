// The report page: reads the embedded data, builds the sections, runs the timeline.

import { formatDuration, formatOffset } from './format.ts';
import { type PageModel, pageModel, readData, rowCommand, str } from './model.ts';
import {
  commandsSection,
  criticalSection,
  dnsSection,
  el,
  failuresSection,
  filesSection,
  headerSection,
  networkSection,
  processDetails,
  section,
  slowestSection,
} from './sections.ts';
import { AXIS_H, OUTCOME_NAMES, ROW_H, Timeline, type VisibleRange } from './timeline.ts';
import { treeMatches } from './tree-search.ts';

/** Read-only figures for tests and curious people (the browser console). */
export interface ReportHook {
  processes: number;
  failures: number[];
  visibleRows(): number;
  range(): VisibleRange;
  /** processes.id of the rows that got a bar in the last frame. */
  drawn(): number[];
  selected(): number | null;
  /** Where a process is: its position in the visible row list (-1: inside a closed subtree) and its bar's times. */
  where(processId: number): { position: number; start: number; end: number } | null;
  /** ms from the script's start to the first frame after the page was built; null before it. */
  firstPaintMs(): number | null;
  /** Time to draw the last timeline frame, ms. */
  lastDrawMs(): number;
}

declare global {
  interface Window {
    __ptraceReport?: ReportHook;
  }
}

/** Lines of the dedup tree shown at most at once (a search narrows them). */
const MAX_TREE_LINES = 5000;

function main(): void {
  const started = performance.now();
  const m = pageModel(readData());
  const root = document.getElementById('report')!;
  root.append(headerSection(m.data));
  const failures = failuresSection(m.data);
  root.append(failures);

  // ---- timeline
  const canvas = el('canvas', { id: 'timeline', 'aria-label': 'process timeline' });
  const canvasBox = el('div', { class: 'canvas-box' }, canvas);
  // As tall as the rows need, at most most of the window (the rest scrolls inside).
  canvasBox.style.height = `${Math.round(Math.min(window.innerHeight * 0.7, AXIS_H + m.rows * ROW_H + 2))}px`;
  const tip = el('div', { id: 'tooltip', hidden: '' });
  const details = el('div', { id: 'details' }, el('p', { class: 'empty' }, 'Click a bar for its details.'));
  const legend = el('div', { class: 'legend' });
  for (const [k, name] of Object.entries(OUTCOME_NAMES)) {
    legend.append(el('span', { class: `swatch o${k}` }), ` ${name}  `);
  }
  if (m.data.critical !== null) legend.append(el('span', { class: 'swatch critical' }), ' critical path');
  const buttons = el('div', { class: 'buttons' });
  const button = (label: string, action: () => void): void => {
    const b = el('button', { type: 'button' }, label);
    b.addEventListener('click', action);
    buttons.append(b);
  };
  root.append(
    section(
      'timeline-section',
      `Timeline (${m.rows.toLocaleString('en-US')} processes)`,
      el(
        'p',
        { class: 'help' },
        'Wheel: scroll · Ctrl+wheel or + − / W S: zoom · Shift+wheel, drag, ← → / A D: pan · ↑ ↓ PgUp PgDn: rows · Home: all · click ▸: open/close · Enter: open/close the selected row',
      ),
      buttons,
      legend,
      canvasBox,
      details,
    ),
  );
  document.body.append(tip);
  const timeline = new Timeline(canvas, m);
  button('Show all', () => timeline.reset());
  button('Zoom in', () => timeline.zoom(0.5));
  button('Zoom out', () => timeline.zoom(2));
  button('Collapse below level 1', () => timeline.setCollapsedAll(true, 1));
  button('Expand all', () => timeline.setCollapsedAll(false));
  timeline.onSelect = (r) => details.replaceChildren(processDetails(m, r));
  timeline.onHover = (r, x, y) => {
    if (r < 0) {
      tip.hidden = true;
      return;
    }
    tip.replaceChildren(...hoverText(m, r).map((line) => el('div', {}, line)));
    tip.hidden = false;
    tip.style.left = `${Math.min(x + 14, window.innerWidth - 420)}px`;
    tip.style.top = `${y + 14}px`;
  };
  window.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target === canvas || e.ctrlKey || e.metaKey || e.altKey) return;
    if (document.activeElement === document.body && timeline.key(e.key)) e.preventDefault();
  });

  // Anything listing processes (failures, slowest, critical path) shows its process on the timeline.
  root.addEventListener('click', (e) => {
    const target = (e.target as Element).closest('[data-process-id]') as HTMLElement | null;
    if (target === null) return;
    const row = m.rowOfId.get(Number(target.dataset.processId));
    if (row !== undefined) timeline.reveal(row);
  });

  const critical = criticalSection(m);
  if (critical !== null) {
    root.append(critical);
    timeline.setCriticalPath(m.data.critical!.start, m.data.critical!.segments);
  }
  root.append(treeSection(m));
  root.append(commandsSection(m.data.stats), slowestSection(m.data.stats), filesSection(m.data.stats));
  root.append(networkSection(m.data.stats), dnsSection(m.data.stats));
  root.append(el('footer', {}, `${m.data.header.generatedBy} · ${m.data.stats.overview.path}`));

  let firstPaint: number | null = null;
  const hook: ReportHook = {
    processes: m.rows,
    failures: m.data.stats.failures.map((f) => f.processId),
    visibleRows: () => timeline.visibleCount(),
    range: () => timeline.range(),
    drawn: () => [...timeline.lastDrawn],
    selected: () => (timeline.selected < 0 ? null : m.data.processes.id[timeline.selected]!),
    where: (id) => {
      const row = m.rowOfId.get(id);
      if (row === undefined) return null;
      const end = m.end[row]!;
      return {
        position: timeline.positionOf(row),
        start: m.data.processes.start[row]!,
        end: end < 0 ? m.timeEnd : end,
      };
    },
    firstPaintMs: () => firstPaint,
    lastDrawMs: () => timeline.lastDrawMs,
  };
  Object.freeze(hook.failures);
  window.__ptraceReport = Object.freeze(hook);
  requestAnimationFrame(() => {
    firstPaint = performance.now() - started;
  });
}

function hoverText(m: PageModel, r: number): string[] {
  const p = m.data.processes;
  const end = m.end[r]!;
  const status = p.status[r]! >= 0 ? str(m, p.status[r]!) : 'exit 0';
  return [
    rowCommand(m, r).slice(0, 300),
    `pid ${p.pid[r]} · ${status} · start ${formatOffset(p.start[r]!)} · ${end >= 0 ? formatDuration(end - p.start[r]!) : 'no end'}`,
    p.cpu[r]! >= 0 ? `cpu ${formatDuration(p.cpu[r]!)}` : '',
  ].filter((l) => l !== '');
}

// ---------------------------------------------------------------- the --dedup tree, searchable

function treeSection(m: PageModel): HTMLElement {
  const lines = m.data.dedup;
  const input = el('input', {
    type: 'search',
    placeholder: 'search the tree (with the ancestors of each match)',
    id: 'tree-search',
  });
  const count = el('span', { class: 'count' });
  const pre = el('pre', { id: 'dedup-tree', 'data-table': 'dedup' });
  const show = (): void => {
    const q = input.value.trim();
    const idx = q === '' ? null : treeMatches(lines, q);
    const chosen = idx === null ? lines.slice(0, MAX_TREE_LINES) : idx.slice(0, MAX_TREE_LINES).map((i) => lines[i]!);
    const total = idx === null ? lines.length : idx.length;
    pre.textContent = chosen.join('\n');
    count.textContent =
      (idx === null
        ? `${lines.length.toLocaleString('en-US')} lines`
        : `${idx.length.toLocaleString('en-US')} lines match or lead to a match`) +
      (total > MAX_TREE_LINES ? ` (first ${MAX_TREE_LINES.toLocaleString('en-US')} shown)` : '');
  };
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(show, 120);
  });
  show();
  return section('tree', 'Process tree (tree --dedup)', el('div', { class: 'search' }, input, ' ', count), pre);
}

main();
