import { setFlagsFromString } from 'node:v8';

/** How much V8's old generation may grow past its live size before the next full collection. */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Caps the old generation's growth between full collections at 1.5× the live size. V8's default on a machine
 * with a large heap limit is up to 4×: streaming a million log lines promotes short-lived batches, and the
 * process grew to ~320 MB RSS on a ~42 MB live heap, most of it garbage waiting for a collection
 * (docs/benchmarks.md, UI). V8 reads the flag at each full collection, so setting it once at start is enough.
 */
export function limitHeapGrowth(percent = HEAP_GROWING_PERCENT): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
