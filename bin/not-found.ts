// oclif's command_not_found hook: a typo gets one `ptrace: …` line naming the
// closest command, and exit status 2, like every other usage error.
import type { Hook } from '@oclif/core';
import { terminalText } from '../analyze/format.ts';

/** Edit distance between two short words: insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j]!, before[j - 2]! + 1);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** The command a mistyped word most likely meant, if one is close enough. */
export function closestCommand(word: string, commands: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of commands) {
    const d = c.startsWith(word) && word.length >= 2 ? 0.5 : editDistance(word.slice(0, 40), c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(1, Math.floor((best?.length ?? 0) / 3)) ? best : null;
}

const hook: Hook<'command_not_found'> = async (opts) => {
  const commands = opts.config.commands.filter((c) => !c.hidden).map((c) => c.id);
  const word = opts.id.split(':')[0] ?? '';
  const suggestion = closestCommand(word, commands);
  const hint = suggestion ? `; did you mean \`ptrace ${suggestion}\`?` : '';
  process.stderr.write(
    `ptrace: \`${terminalText(word.slice(0, 80))}\` is not a ptrace command${hint} (\`ptrace help\` lists them)\n`,
  );
  process.exit(2);
};
export default hook;
