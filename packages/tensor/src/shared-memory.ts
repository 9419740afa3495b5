/**
 * Shared memory that gets collected.
 *
 * V8 (Node 20) does not count SharedArrayBuffer memory toward the heuristics that start a
 * garbage collection: a loop that allocates shared buffers and drops them grows the process
 * without bound, because the small JS objects that hold them never fill the heap enough to
 * trigger a collection. Measured here (Node 20.20): 350 adds of fresh 4 MB tensors on two
 * threads (shared buffers) left the process at 4.5 GB resident; on one thread (plain
 * ArrayBuffers, which V8 does count) it stayed at 170 MB. A training step with the kernels
 * split over two threads allocates gigabytes of shared activations and gradients.
 * Chromium's V8 is the same: live training in the browser page (2 threads) grew the renderer
 * by ~97 MB a step, to 10.5 GB, before V8 collected on its own; with plain buffers (1 thread)
 * it stayed near 600 MB.
 *
 * So every shared allocation goes through `newSharedArrayBuffer`, which counts the bytes, and
 * after every `SHARED_GC_BYTES` of them tells V8 in the one way it listens: it allocates a
 * plain ArrayBuffer of that size, which V8 does count, and holds it until the next report.
 * V8 soon collects, and the dropped shared buffers go with the rest. The plain buffer's pages
 * are never touched (it costs address space, not memory). Measured: 1,000 dropped 4 MB shared
 * buffers in Node, 535 MB resident (4.2 GB without); 350 adds of fresh 4 MB tensors on two
 * threads, 940 MB (4.5 GB without); the browser page's live training, flat
 * at 0.7-1.1 GB over 200 steps (10.5 GB without; tests/vlm/browser.test.ts checks it).
 *
 * Worker threads see the same buffers through job messages and keep them alive until they
 * collect too; `noteSharedReceived` counts those bytes and does the same for them. It works
 * wherever V8 runs (Node, browsers); no flags, nothing to expose.
 */

/** Shared bytes allocated (or received) between two reports to V8. */
export const SHARED_GC_BYTES = 256 * 1024 * 1024;

let sinceReport = 0;
let reports = 0;
/** The last report's plain buffer, held until the next report (see `count`). */
let held: ArrayBuffer | null = null;

/** Counts `bytes` of shared memory; reports `SHARED_GC_BYTES` of it to V8 each time that much has gone by. */
function count(bytes: number): void {
  sinceReport += bytes;
  if (sinceReport < SHARED_GC_BYTES) return;
  sinceReport = 0;
  // Held until the next report, so it lives long enough to reach the old generation: a buffer
  // dropped at once is freed by the next young-generation collection, which leaves the old
  // generation (where long-lived tensors' handles end up) uncollected.
  held = new ArrayBuffer(SHARED_GC_BYTES);
  reports += held.byteLength > 0 ? 1 : 0;
}

/** A new SharedArrayBuffer of `bytes`, counted toward the next report to V8. */
export function newSharedArrayBuffer(bytes: number): SharedArrayBuffer {
  count(bytes);
  return new SharedArrayBuffer(bytes);
}

/** For a worker thread: count the shared buffers a job message brought (see the module comment). */
export function noteSharedReceived(bytes: number): void {
  count(bytes);
}

/** How many times this thread reported shared memory to V8: for tests. */
export function sharedMemoryReports(): number {
  return reports;
}
