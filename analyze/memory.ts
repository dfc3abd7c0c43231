// A full garbage collection between the phases of a big replay.
//
// Loading a capture allocates a lot of short-lived data next to the rows it
// keeps; V8 grows the heap rather than collect it, so the next phase (tree
// building) starts on a heap twice the size of what is alive. One full
// collection between phases keeps the peak RSS near the live size: on the
// 100,000-process benchmark (bench/replay.ts) `tree --dedup` peaks about
// 100 MB lower with it. Cheap (tens of ms) next to the load itself.

import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

function fullGc(): void {
  if (gc === undefined) {
    try {
      // The documented flag, set only long enough to fetch the function in a fresh context.
      v8.setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
      v8.setFlagsFromString('--no-expose-gc');
    } catch {
      gc = null;
    }
  }
  gc?.();
}

/** Collects garbage now when the process has a lot of it; a no-op for small inputs. */
export function collectBetweenPhases(minHeapBytes = 64 << 20): void {
  if (process.memoryUsage().heapUsed >= minHeapBytes) fullGc();
}
