// How a diff names a process of either run: pid, command line, executable,
// start (ns after its run's start), and the chain of images above it.

import { firstString } from '../../formats/nul-area.ts';
import { basename } from '../format.ts';
import type { TreeNode } from '../tree/build.ts';
import type { NodeText, Pair } from './align.ts';

export interface ProcRef {
  pid: number;
  kind: TreeNode['kind'];
  /** As shown: secrets masked unless the user asked to see them. */
  argv: string[];
  exe: string;
  /** ns after the start of its run. */
  startNs: number;
  /** ns; null when it had not ended when the capture stopped (or no exit was recorded). */
  durationNs: number | null;
  /** For a fork without exec: the program it is a fork of. */
  forkOf: string | null;
}

export function procRef(n: TreeNode, text: NodeText): ProcRef {
  return {
    pid: n.pid,
    kind: n.kind,
    argv: text.shownArgv(n),
    exe: n.exe,
    startNs: n.start,
    durationNs: n.end === null ? null : n.end - n.start,
    forkOf: n.kind === 'fork' ? n.forkOf : null,
  };
}

/** How many images an ancestry lists at most (the nearest ones): the depth of a tree comes from the file. */
export const MAX_ANCESTRY = 32;

/** The images of a pair and above it, root first, on each side: at most `max`, the nearest. */
export function ancestry(p: Pair | null, text: NodeText, max = MAX_ANCESTRY): { a: ProcRef[]; b: ProcRef[] } {
  const a: ProcRef[] = [];
  const b: ProcRef[] = [];
  for (let q = p; q !== null && a.length < max; q = q.parent) {
    a.push(procRef(q.a, text));
    b.push(procRef(q.b, text));
  }
  return { a: a.reverse(), b: b.reverse() };
}

/** A name for a group of commands (timing, resources): the program's basename (argv[0], else the executable). */
export function commandName(n: TreeNode): string {
  if (n.kind === 'fork') return `(fork of ${n.forkOf ?? '?'})`;
  if (n.kind === 'process') return '(process)';
  // argv[0] alone, without decoding the rest of the argument list.
  const argv0 = firstString(n.argvBlob).toString('utf8');
  return (argv0 === '' ? '' : basename(argv0)) || basename(n.exe);
}
