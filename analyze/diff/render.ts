// A diff report as text: the summary line, the two runs, then one section
// per kind of finding, most important first. Every string from the files
// goes through terminalText / shellQuote (commandLine); lists are cut at
// LIST_MAX lines each (--json has everything).

import Table from 'cli-table3';
import {
  commandLine,
  formatDuration,
  formatKib,
  formatOffset,
  isoTime,
  type Paint,
  shellQuote,
  terminalText,
} from '../format.ts';
import type { DiffReport, RunInfo } from './diff.ts';
import type { OutcomeChange } from './outcome.ts';
import type { ProcRef } from './process-ref.ts';
import { divergenceText, shortCommand, summaryLine } from './summary.ts';
import type { GroupFigures, UsageChange } from './usage.ts';
import type { WordOp } from './word-diff.ts';

export const LIST_MAX = 50;

export interface DiffTextOptions {
  paint: Paint;
  /** Whole command lines. */
  full: boolean;
}

function runLine(label: string, r: RunInfo): string {
  const facts = [
    `host ${terminalText(r.hostname)}`,
    `kernel ${terminalText(r.kernelRelease)}`,
    `format ${r.format}`,
    isoTime(r.startNs),
    `${r.processes} ${r.processes === 1 ? 'process' : 'processes'}`,
    formatDuration(r.durationNs),
  ];
  if (r.lostRecords > 0) facts.push(`${r.lostRecords} records lost`);
  if (!r.complete) facts.push('no footer');
  return `${label}: ${terminalText(r.path)}  (${facts.join(', ')})`;
}

const cmd = (p: ProcRef, full: boolean): string =>
  p.kind === 'exec' && full ? commandLine(p.argv, { full: true, max: 0 }) : shortCommand(p, 100);

/** An ancestry on one line: the root, `…` for what lies between, and the nearest CHAIN_SHOWN images. */
const CHAIN_SHOWN = 6;
function chain(list: readonly ProcRef[]): string {
  const shown =
    list.length <= CHAIN_SHOWN + 1
      ? list.map((p) => shortCommand(p))
      : [shortCommand(list[0]!), '…', ...list.slice(-CHAIN_SHOWN).map((p) => shortCommand(p))];
  return shown.join(' → ');
}

function cut<T>(list: readonly T[], lines: string[], each: (x: T) => void): void {
  for (const x of list.slice(0, LIST_MAX)) each(x);
  if (list.length > LIST_MAX) lines.push(`  … ${list.length - LIST_MAX} more (--json lists all)`);
}

/** argv words: removed as [-word-], added as {+word+} (git's --word-diff=plain). */
export function wordDiffText(ops: readonly WordOp[], paint: Paint): string {
  return ops
    .map((o) => {
      const w = shellQuote(o.word);
      if (o.op === 'same') return w;
      return o.op === 'removed' ? paint('red', `[-${w}-]`) : paint('green', `{+${w}+}`);
    })
    .join(' ');
}

function outcomeLine(d: OutcomeChange, full: boolean): string {
  const who = d.b ?? d.a!;
  const pids = `${d.a === null ? '-' : d.a.pid}/${d.b === null ? '-' : d.b.pid}`;
  const from = d.outcomeA === null ? '(not run)' : terminalText(d.outcomeA);
  const to = d.outcomeB === null ? '(not run)' : terminalText(d.outcomeB);
  return `  ${cmd(who, full)}  (pid ${pids}, ${formatOffset(d.timeNs)}): ${from} → ${to}`;
}

function figures(g: GroupFigures, pick: (g: GroupFigures) => number | null, show: (v: number) => string): string {
  const v = pick(g);
  return v === null ? '-' : show(v);
}

function usageTable(list: readonly UsageChange[], paint: Paint): string[] {
  const table = new Table({
    head: ['command', 'images A/B', 'total A → B', 'max A → B', 'CPU A → B', 'max RSS A → B'].map((h) =>
      paint('bold', h),
    ),
    style: { head: [], border: [], compact: true },
  });
  for (const u of list.slice(0, LIST_MAX)) {
    const pair = (pick: (g: GroupFigures) => number | null, show: (v: number) => string, metric: string): string => {
      const t = `${figures(u.a, pick, show)} → ${figures(u.b, pick, show)}`;
      return u.flagged.includes(metric as UsageChange['flagged'][number]) ? paint('yellow', t) : t;
    };
    table.push([
      terminalText(u.command),
      `${u.a.count}/${u.b.count}`,
      pair((g) => g.total, formatDuration, 'total'),
      pair((g) => g.max, formatDuration, 'max'),
      pair((g) => g.cpu, formatDuration, 'cpu'),
      pair((g) => g.maxRss, formatKib, 'maxRss'),
    ]);
  }
  const lines = table.toString().split('\n');
  if (list.length > LIST_MAX) lines.push(`… ${list.length - LIST_MAX} more (--json lists all)`);
  return lines.map((l) => `  ${l}`);
}

export function renderDiffText(r: DiffReport, o: DiffTextOptions): string[] {
  const { paint, full } = o;
  const lines: string[] = [paint('bold', summaryLine(r)), ''];
  lines.push(runLine('A', r.a), runLine('B', r.b));
  for (const n of r.notes) lines.push(paint('yellow', `note: ${terminalText(n)}`));
  const section = (title: string): void => {
    lines.push('', paint('bold', title));
  };

  if (r.firstDivergence !== null) {
    const d = r.firstDivergence;
    section(`First divergence (${formatOffset(d.timeNs)})`);
    lines.push(`  ${divergenceText(d)}`);
    if (d.ancestryA.length > 0)
      lines.push(`  A: ${chain(d.ancestryA)}  ${paint('dim', `(${terminalText(d.outcomeA ?? '')})`)}`);
    else lines.push('  A: (not run)');
    if (d.ancestryB.length > 0)
      lines.push(`  B: ${chain(d.ancestryB)}  ${paint('dim', `(${terminalText(d.outcomeB ?? '')})`)}`);
    else lines.push('  B: (not run)');
  }
  if (r.outcomes.length > 1) {
    section(`Outcomes that differ (${r.outcomes.length})`);
    cut(r.outcomes, lines, (d) => lines.push(outcomeLine(d, full)));
  }
  const only = (label: string, groups: DiffReport['onlyA'], processes: number): void => {
    if (groups.length === 0) return;
    section(`Only in ${label} (${processes} ${processes === 1 ? 'process' : 'processes'})`);
    cut(groups, lines, (g) => {
      const line = commandLine(g.pattern, { full, max: 80 });
      const times = g.count > 1 ? ` ×${g.count}` : '';
      const under = g.under !== null ? paint('dim', `  under ${shortCommand(g.under)}`) : '';
      const sub = g.processes > g.count ? ` (${g.processes} processes)` : '';
      lines.push(`  ${line}${times}${sub}${under}`);
    });
  };
  only('A', r.onlyA, r.processesOnlyA);
  only('B', r.onlyB, r.processesOnlyB);
  if (r.images.length > 0) {
    section(`Changed commands (${r.images.reduce((s, c) => s + c.count, 0)})`);
    cut(r.images, lines, (c) => {
      const times = c.count > 1 ? ` ×${c.count}` : '';
      const head = c.argv !== null ? wordDiffText(c.argv, paint) : cmd(c.b, full);
      lines.push(`  ${head}${times}  ${paint('dim', `(pid ${c.a.pid}/${c.b.pid})`)}`);
      if (c.exe !== null) lines.push(`    exe: ${terminalText(c.exe.a)} → ${terminalText(c.exe.b)}`);
      if (c.cwd !== null) lines.push(`    cwd: ${terminalText(c.cwd.a ?? '?')} → ${terminalText(c.cwd.b ?? '?')}`);
      if (c.uid !== null) lines.push(`    uid: ${c.uid.a} → ${c.uid.b}`);
    });
  }
  if (r.env.length > 0) {
    section(`Environment (${r.env.length})`);
    cut(r.env, lines, (e) => {
      const where = paint('dim', `  at ${shortCommand(e.whereB)}${e.count > 1 ? ` and ${e.count - 1} more` : ''}`);
      const name = terminalText(e.name);
      const v = (x: string | null): string => shellQuote(x ?? '');
      if (e.kind === 'added') lines.push(`  + ${name}=${v(e.b)}${where}`);
      else if (e.kind === 'removed') lines.push(`  - ${name}=${v(e.a)}${where}`);
      else lines.push(`  ~ ${name}: ${v(e.a)} → ${v(e.b)}${where}`);
    });
  }
  if (r.files !== null && (r.files.newFailures.length > 0 || r.files.fixed.length > 0)) {
    section('Files');
    cut(r.files.newFailures, lines, (f) =>
      lines.push(
        `  ✗ ${terminalText(f.path)}: ${terminalText(f.errno)} in B (found in A)${f.failures > 1 ? ` ×${f.failures}` : ''}${paint('dim', `  by ${shortCommand(f.where)}`)}`,
      ),
    );
    cut(r.files.fixed, lines, (f) =>
      lines.push(
        `  ✓ ${terminalText(f.path)}: found in B (${terminalText(f.errno)} in A)${paint('dim', `  by ${shortCommand(f.where)}`)}`,
      ),
    );
  }
  const n = r.net;
  if (
    n !== null &&
    n.newFailedConnects.length + n.fixedConnects.length + n.lookups.length + n.peersOnlyA.length + n.peersOnlyB.length >
      0
  ) {
    section('Network');
    cut(n.newFailedConnects, lines, (c) =>
      lines.push(
        `  ✗ connect ${terminalText(c.peer)}: ${terminalText(c.error)} in B${c.failures > 1 ? ` ×${c.failures}` : ''}${paint('dim', `  by ${shortCommand(c.where)}`)}`,
      ),
    );
    cut(n.fixedConnects, lines, (c) =>
      lines.push(`  ✓ connect ${terminalText(c.peer)}: no longer fails (${terminalText(c.error)} in A)`),
    );
    cut(n.lookups, lines, (l) =>
      lines.push(
        `  ${l.kind === 'failed' ? '✗' : l.kind === 'fixed' ? '✓' : '~'} ${terminalText(l.name)}: ${terminalText(l.a ?? '(not looked up)')} → ${terminalText(l.b ?? '(not looked up)')}`,
      ),
    );
    if (n.peersOnlyA.length > 0)
      lines.push(`  peers only in A: ${n.peersOnlyA.slice(0, LIST_MAX).map(terminalText).join(', ')}`);
    if (n.peersOnlyB.length > 0)
      lines.push(`  peers only in B: ${n.peersOnlyB.slice(0, LIST_MAX).map(terminalText).join(', ')}`);
  }
  if (r.usage.length > 0) {
    const t = r.thresholds.duration;
    section(`Time and resources (changes beyond ${formatDuration(t.absolute)} and ${t.ratio}×)`);
    lines.push(...usageTable(r.usage, paint));
  }
  return lines;
}
