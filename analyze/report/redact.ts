// What a shared report hides: argv and environment values through the shared
// secret rules, unless --no-redact.

import { isSecretName, maskEnvValue, maskUrlCredentials } from '../format.ts';
import type { StatsReport } from '../stats/stats.ts';

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

export function secretRedaction(): Redaction {
  return {
    argv: (argv) => argv.map((a) => (a.includes('://') ? maskUrlCredentials(a) : a)),
    envValue: (name, value) => (value.includes('://') || isSecretName(name) ? maskEnvValue(name, value) : value),
    text: maskUrlCredentials,
  };
}

/** The stats report with every command line redacted (a copy; the input is left alone). */
export function redactStats(stats: StatsReport, r: Redaction): StatsReport {
  const copy = structuredClone(stats);
  copy.overview.command = r.argv(copy.overview.command);
  for (const list of [copy.slowest, copy.failures, copy.cpu.topProcesses, copy.memory.top]) {
    for (const p of list) p.argv = r.argv(p.argv);
  }
  for (const i of copy.issues) i.message = r.text(i.message);
  return copy;
}
