/**
 * Shared memory that gets collected.
 *
 * V8 (Node 20) does not count SharedArrayBuffer memory toward the heuristics that start a
 * garbage collection: a loop that allocates shared buffers and drops them grows the process
 * without bound, because the small JS objects that hold them never fill the heap enough to
 * trigger a collection. Measured here (Node 20.20): 350 adds of fresh 4 MB tensors on two
 * threads (shared buffers) left the process at 4.5 GB resident; on one thread (plain
 * ArrayBuffers, which V8 does count) it stayed at 170 MB. A training step with
 * the kernels split over two threads allocates gigabytes of shared activations and gradients.
 *
 * So every shared allocation goes through `newSharedArrayBuffer`, which counts the bytes and
 * runs a full collection after every `SHARED_GC_BYTES` of them. A collection of a small heap
 * took ~10 ms here (16 of them 160 ms); a reference training step (issue 6: ~8 s on two
 * threads) allocates a few GB, so a few collections, and all garbage collection together was
 * 1.6% of a profiled step. Worker threads see the same buffers through
 * messages and hold them until they collect too: `noteSharedReceived` does that for them.
 *
 * The collector is V8's `gc`, exposed at run time (`--expose-gc` set from code, then read from
 * a fresh context); where that is impossible (a browser) nothing is collected early.
 */

/** Shared bytes allocated between two forced collections. */
export const SHARED_GC_BYTES = 512 * 1024 * 1024;

type Collect = (options?: { type: "major" | "minor" }) => void;

let collector: Collect | null | undefined;

function getCollector(): Collect | null {
  if (collector !== undefined) return collector;
  collector = null;
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return (collector = exposed as Collect);
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== "function") return null;
  try {
    const v8 = proc.getBuiltinModule("node:v8") as typeof import("node:v8");
    const vm = proc.getBuiltinModule("node:vm") as typeof import("node:vm");
    v8.setFlagsFromString("--expose-gc");
    const gc: unknown = vm.runInNewContext("gc");
    if (typeof gc === "function") collector = gc as Collect;
  } catch {
    collector = null;
  }
  return collector;
}

let sinceCollection = 0;
let collections = 0;

/** Counts `bytes` of shared memory; collects when `SHARED_GC_BYTES` have gone by since the last time. */
function count(bytes: number): void {
  sinceCollection += bytes;
  if (sinceCollection < SHARED_GC_BYTES) return;
  sinceCollection = 0;
  const gc = getCollector();
  if (gc) {
    gc();
    collections++;
  }
}

/** A new SharedArrayBuffer of `bytes`, counted toward the next forced collection. */
export function newSharedArrayBuffer(bytes: number): SharedArrayBuffer {
  count(bytes);
  return new SharedArrayBuffer(bytes);
}

/** For a worker thread: count the shared buffers a job message brought (see the module comment). */
export function noteSharedReceived(bytes: number): void {
  count(bytes);
}

/** How many forced collections this thread ran: for tests. */
export function sharedCollections(): number {
  return collections;
}
