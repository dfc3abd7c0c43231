// The one-line summary a diff report starts with, most important first:
// "B failed: `cc -c broken.c` exit 1 (new); 3 processes only in B; env: CC
// changed; 1.8× slower in ld". Safe for a terminal (commands shell-quoted,
// names escaped).

import { commandLine, terminalText } from '../format.ts';
import type { DiffReport } from './diff.ts';
import type { OutcomeChange } from './outcome.ts';
import type { ProcRef } from './process-ref.ts';
import type { UsageChange } from './usage.ts';

/** A process's command as the report shows it in passing: short, quoted, one line. */
export function shortCommand(p: ProcRef, max = 60): string {
  if (p.kind === 'fork') return `(fork of ${terminalText(p.forkOf ?? '?')})`;
  if (p.kind === 'process') return `(pid ${p.pid})`;
  return commandLine(p.argv.length > 0 ? p.argv : [p.exe], { full: false, max, maxArg: 40 });
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function divergenceText(d: OutcomeChange): string {
  const failedB = d.outcomeB !== null && d.outcomeB !== 'ok';
  const who = d.b ?? d.a!;
  const cmd = `\`${shortCommand(who, 100)}\``;
  if (failedB) {
    const was = d.outcomeA === null ? 'only in B' : d.outcomeA === 'ok' ? 'new' : `A: ${d.outcomeA}`;
    return `B failed: ${cmd} ${terminalText(d.outcomeB!)} (${was})`;
  }
  if (d.outcomeB === null) return `A only: ${cmd} ${terminalText(d.outcomeA!)} (not run in B)`;
  return `B no longer fails: ${cmd} (A: ${terminalText(d.outcomeA!)})`;
}

export function usageText(u: UsageChange): string {
  const name = terminalText(u.command);
  const r = u.ratio;
  const factor = (x: number): string => (Number.isFinite(x) ? `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×` : 'much');
  const metric = u.flagged[0]!;
  if (metric === 'cpu') return r >= 1 ? `${factor(r)} more CPU in ${name}` : `${factor(1 / r)} less CPU in ${name}`;
  if (metric === 'maxRss')
    return r >= 1 ? `${factor(r)} more memory in ${name}` : `${factor(1 / r)} less memory in ${name}`;
  return r >= 1 ? `${factor(r)} slower in ${name}` : `${factor(1 / r)} faster in ${name}`;
}

export function summaryLine(r: DiffReport): string {
  const parts: string[] = [];
  if (r.firstDivergence !== null) parts.push(divergenceText(r.firstDivergence));
  if (r.outcomes.length > 1) parts.push(`${plural(r.outcomes.length - 1, 'other outcome')} changed`);
  if (r.processesOnlyB > 0) parts.push(`${plural(r.processesOnlyB, 'process', 'processes')} only in B`);
  if (r.processesOnlyA > 0) parts.push(`${plural(r.processesOnlyA, 'process', 'processes')} only in A`);
  const images = r.images.reduce((s, c) => s + c.count, 0);
  if (images > 0) parts.push(`${plural(images, 'command')} changed`);
  if (r.env.length > 0) {
    const names = [...new Map(r.env.map((e) => [e.name, e.kind])).entries()];
    const shown = names.slice(0, 3).map(([n, k]) => `${terminalText(n)} ${k}`);
    parts.push(`env: ${shown.join(', ')}${names.length > 3 ? `, +${names.length - 3} more` : ''}`);
  }
  if (r.files !== null) {
    const nf = r.files.newFailures;
    if (nf.length === 1) parts.push(`new ${terminalText(nf[0]!.errno)}: ${terminalText(nf[0]!.path)}`);
    else if (nf.length > 1) parts.push(`${nf.length} new failed opens`);
    if (r.files.fixed.length > 0) parts.push(`${plural(r.files.fixed.length, 'open')} no longer failing`);
  }
  if (r.net !== null) {
    const n = r.net;
    if (n.newFailedConnects.length === 1) {
      const c = n.newFailedConnects[0]!;
      parts.push(`connect ${terminalText(c.peer)}: ${terminalText(c.error)} (new)`);
    } else if (n.newFailedConnects.length > 1) parts.push(`${n.newFailedConnects.length} new failed connects`);
    const failed = n.lookups.filter((l) => l.kind === 'failed');
    if (failed.length === 1) parts.push(`DNS: ${terminalText(failed[0]!.name)} ${terminalText(failed[0]!.b ?? '')}`);
    else if (failed.length > 1) parts.push(`DNS: ${failed.length} names fail`);
    const changed = n.lookups.length - failed.length;
    if (changed > 0) parts.push(`DNS: ${plural(changed, 'answer')} changed`);
    if (n.peersOnlyB.length > 0) parts.push(`${plural(n.peersOnlyB.length, 'peer')} only in B`);
    if (n.peersOnlyA.length > 0) parts.push(`${plural(n.peersOnlyA.length, 'peer')} only in A`);
  }
  // A slowdown (or growth) makes the summary; what got faster is in its section only.
  const slower = r.usage.find((u) => u.ratio > 1);
  if (slower !== undefined) parts.push(usageText(slower));
  if (parts.length === 0) return 'no differences beyond the noise thresholds';
  return parts.join('; ');
}
