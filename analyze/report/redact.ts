// What a shared report hides: secrets in command lines, environments and the other
// strings of the capture (paths, names), found by the shared rules (analyze/secrets/),
// unless --no-redact.

import { createRedactor, type RuleSet } from '../secrets/index.ts';
import type { StatsReport } from '../stats/types.ts';

export interface Redaction {
  argv(argv: readonly string[]): string[];
  envValue(name: string, value: string): string;
  text(s: string): string;
}

export const NO_REDACTION: Redaction = {
  argv: (argv) => [...argv],
  envValue: (_name, value) => value,
  text: (s) => s,
};

/**
 * The shared rules with keyed markers (a random key per report: equal secrets give equal
 * markers within it). text() and envValue() are remembered per string: exe paths,
 * working directories, names and variables repeat across 100,000s of execs.
 */
export function secretRedaction(rules: RuleSet): Redaction {
  const r = createRedactor(rules);
  const seen = new Map<string, string>();
  const seenEnv = new Map<string, string>();
  return {
    argv: (argv) => r.argv(argv),
    envValue: (name, value) => {
      const key = `${name}\0${value}`;
      let out = seenEnv.get(key);
      if (out === undefined) seenEnv.set(key, (out = r.envValue(name, value)));
      return out;
    },
    text: (s) => {
      let out = seen.get(s);
      if (out === undefined) seen.set(s, (out = r.text(s)));
      return out;
    },
  };
}

/** The stats report with its command lines, paths and names redacted (a copy; the input is left alone). */
export function redactStats(stats: StatsReport, r: Redaction): StatsReport {
  const copy = structuredClone(stats);
  copy.overview.command = r.argv(copy.overview.command);
  for (const list of [copy.slowest, copy.failures, copy.cpu.topProcesses, copy.memory.top]) {
    for (const p of list) p.argv = r.argv(p.argv);
  }
  for (const f of copy.failedExecs) f.path = r.text(f.path);
  for (const list of [copy.files.topPaths, copy.files.written]) for (const p of list) p.path = r.text(p.path);
  for (const list of [copy.files.failedByErrno, copy.network.failedByErrno]) {
    for (const e of list) e.examples = e.examples.map(r.text);
  }
  for (const p of copy.network.byPeer) {
    p.peer = r.text(p.peer);
    if (p.peerName !== null) p.peerName = r.text(p.peerName);
  }
  for (const n of copy.dns.byName) n.name = r.text(n.name);
  for (const u of copy.dns.unresolved) u.name = r.text(u.name);
  for (const e of copy.dns.failedByResult) e.examples = e.examples.map(r.text);
  for (const e of copy.dns.wire.failedByOutcome) e.examples = e.examples.map(r.text);
  for (const u of copy.dns.wire.unresolved) u.name = r.text(u.name);
  for (const i of copy.issues) i.message = r.text(i.message);
  return copy;
}
