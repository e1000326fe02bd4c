import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets a heap's old generation grow past what survived its last full collection, in per
 * cent. V8 picks a factor of up to 4× on its own when allocation is fast, so under a long program
 * the service's heaps grew to three times their live size (10,000 files: old space 55 MB live,
 * 200 MB held; peak RSS 440 MB against 223 MB at 300 files) and the memory was never given back
 * while work went on. A fixed 50 % keeps them near their live size at the cost of more frequent full
 * collections, which V8 marks concurrently (docs/benchmarks.md has both measured). The flag is
 * process-wide: the extraction threads' heaps follow it too.
 */
export const HEAP_GROWING_PERCENT = 50;

export function boundHeapGrowth(percent = HEAP_GROWING_PERCENT): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
