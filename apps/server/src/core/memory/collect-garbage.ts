import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full garbage collection of this thread's heap, now; returns the milliseconds it took.
 *
 * Why a job forces one: an array buffer that is no longer referenced keeps its memory until its
 * isolate's next full collection, and the isolates that held a large volume's HU rarely run one at the
 * right time. The main thread is mostly idle while its job segments in a thread, so the HU it handed over
 * (a SharedArrayBuffer: both threads must let go) stayed resident until the SEG was sent; the job's
 * segmentation thread is idle after its reply, so its masks (2 x 157 MB at 600 slices) stayed resident
 * into the next job. Only for large volumes (collectsGarbage): a collection costs milliseconds of the
 * calling thread (docs/PERFORMANCE.md, fourth round).
 *
 * Without --expose-gc, the flag is set for the one context that fetches `gc` and cleared again, as
 * jest's leak detector does; a process started with --expose-gc uses its own `gc`.
 */
export function collectGarbage(): number {
  gc ??= exposedGc();
  const started = performance.now();
  gc();
  return performance.now() - started;
}

function exposedGc(): () => void {
  const own = (globalThis as { gc?: () => void }).gc;
  if (typeof own === 'function') return own;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
