/**
 * Shared memory that gets collected.
 *
 * V8 (Node 20) does not count SharedArrayBuffer memory toward the heuristics that start a
 * garbage collection: a loop that allocates shared buffers and drops them grows the process
 * without bound, because the small JS objects that hold them never fill the heap enough to
 * trigger a collection. Measured here: 1,000 dropped 4 MB shared buffers left the process at
 * 4.2 GB; plain ArrayBuffers, which V8 does count, stayed at 170 MB. A training step with
 * the kernels split over two threads allocates gigabytes of shared activations and gradients.
 *
 * So every shared allocation goes through `newSharedArrayBuffer`, which counts the bytes and
 * runs a full collection after every `SHARED_GC_BYTES` of them. The collection costs ~10-40 ms
 * (a full mark-compact of a small heap); at 512 MB between them that is about 1% of the time
 * it takes to fill 512 MB with computed values. Worker threads see the same buffers through
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
