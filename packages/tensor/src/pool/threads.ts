/**
 * The worker pool: heavy kernels split their work over threads that share memory.
 *
 * - Tensors large enough to be worth it live on SharedArrayBuffers (see `allocate`), so
 *   workers read and write them in place. Nothing is ever transferred: detaching an
 *   ArrayBuffer, even once, slows every typed-array access in the process afterwards.
 * - The calling thread takes a share of the work itself, then blocks on a shared
 *   counter until the workers are done, so kernels stay synchronous functions.
 * - Workers sleep in `Atomics.wait` on their own slot of a control array. A job is a
 *   message (kernel name, buffers, numbers) posted to the worker and picked up with
 *   `receiveMessageOnPort` right after the wake-up: one notify, no event-loop round trip.
 * - Each range of work is computed by the same code on whichever thread runs it, so the
 *   result does not depend on the thread count.
 *
 * Threads default to the machine's core count; `DUET_THREADS=n` or `setNumThreads(n)`
 * override it. Worker threads cannot load .ts files on Node 20, so the worker entry is
 * bundled with esbuild, in memory, when the pool first starts (bundle.ts). No static `node:`
 * import: browser bundlers take this file, and a browser lends its Web Workers instead
 * (setThreadHost).
 */

import { setShareLargeBuffers } from "../dtype.js";
import { newSharedArrayBuffer } from "../shared-memory.js";
import { TensorError } from "../errors.js";
import { bundleWorker } from "./bundle.js";
import { runKernel, type KernelName, type PoolJob } from "./kernels.js";
import { nodeRequire } from "./node-require.js";

/** Control array slots: [0, MAX_WORKERS) job counters per worker, then DONE, ERROR. */
const MAX_WORKERS = 64;
const DONE = MAX_WORKERS;
const ERROR = MAX_WORKERS + 1;

/**
 * The most threads the pool runs: one control slot per worker, plus the calling thread. A
 * count beyond it is refused rather than clamped: it is a typo or a misunderstanding (asked
 * for a million, a data-parallel trainer would start a million workers, each with a copy of
 * the model), and the user should hear so. More threads than cores is allowed (a run is
 * deterministic for a thread count, so one may repeat another machine's run), just slower.
 */
export const MAX_THREADS = MAX_WORKERS + 1;

/**
 * A thread count written as text (DUET_THREADS, a --threads flag): a whole number in
 * [1, MAX_THREADS], else a TensorError naming `source` and the range.
 */
export function parseThreadCount(text: string, source: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_THREADS)) {
    throw new TensorError("threads", `${source} must be an integer in [1, ${MAX_THREADS}] (the pool's ${MAX_WORKERS} workers and the calling thread), got ${JSON.stringify(text)}`);
  }
  return n;
}

type WorkerLike = { postMessage(message: unknown): void; unref(): void; terminate(): Promise<number> };

interface Pool {
  workers: WorkerLike[];
  errorPorts: unknown[];
  control: Int32Array;
}

let requestedThreads: number | null = null;
let pool: Pool | null = null;
let poolBroken: string | null = null;
let parallelJobs = 0;

/** How many jobs ran split over workers, and how many workers exist: for tests and tuning. */
export function poolStats(): { parallelJobs: number; workers: number } {
  return { parallelJobs, workers: pool?.workers.length ?? 0 };
}

interface NodeBits {
  Worker: new (code: string, options: object) => WorkerLike;
  MessageChannel: new () => { port1: unknown; port2: unknown };
  receiveMessageOnPort: (port: unknown) => { message: unknown } | undefined;
  isMainThread: boolean;
  cores: number;
  env: Record<string, string | undefined>;
  bundleWorker: () => string;
}

let nodeBits: NodeBits | null | undefined;

/** Node's worker_threads and friends, or null outside Node (a browser lends its own: setThreadHost). */
function node(): NodeBits | null {
  if (nodeBits !== undefined) return nodeBits;
  nodeBits = null;
  const req = nodeRequire();
  if (req === null) return null;
  try {
    const wt = req("node:worker_threads") as typeof import("node:worker_threads");
    const os = req("node:os") as typeof import("node:os");
    nodeBits = {
      Worker: wt.Worker as unknown as NodeBits["Worker"],
      MessageChannel: wt.MessageChannel as unknown as NodeBits["MessageChannel"],
      receiveMessageOnPort: wt.receiveMessageOnPort as NodeBits["receiveMessageOnPort"],
      isMainThread: wt.isMainThread,
      cores: typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length,
      env: (globalThis as { process: { env: Record<string, string | undefined> } }).process.env,
      bundleWorker: workerSource,
    };
  } catch {
    nodeBits = null;
  }
  return nodeBits;
}

export type { KernelName } from "./kernels.js";

/** What a host lends the pool: Node's worker_threads, or a browser's Web Workers. */
export type ThreadHost = NodeBits;

/**
 * Lends the pool another host's threads: a browser's engine worker passes Web Workers here
 * (browser-host.ts). The thread that runs kernels must be able
 * to block in Atomics.wait, so a page's main thread never installs a host and keeps to one
 * thread. Call setNumThreads afterwards.
 */
export function setThreadHost(host: ThreadHost): void {
  nodeBits = host;
  pool = null;
  poolBroken = null;
}

declare const __DUET_WORKER_SOURCE__: string | undefined;

/** The worker's code: worker-entry.ts bundled (bundle.ts), unless a build defined it ahead of time. */
function workerSource(): string {
  if (typeof __DUET_WORKER_SOURCE__ === "string") return __DUET_WORKER_SOURCE__;
  return bundleWorker(new URL("./worker-entry.ts", import.meta.url), { op: "threads" });
}

/** How many threads heavy kernels use (including the calling thread). */
export function getNumThreads(): number {
  const bits = node();
  if (!bits || !bits.isMainThread || typeof SharedArrayBuffer === "undefined") return 1;
  if (requestedThreads !== null) return requestedThreads;
  const fromEnv = bits.env["DUET_THREADS"];
  if (fromEnv !== undefined && fromEnv !== "") return parseThreadCount(fromEnv, "DUET_THREADS");
  return Math.max(1, Math.min(bits.cores, MAX_THREADS));
}

/** Sets the thread count for heavy kernels (1 = no workers). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new TensorError("setNumThreads", `n must be an integer in [1, ${MAX_THREADS}], got ${n}`);
  }
  requestedThreads = n;
  setShareLargeBuffers(n > 1);
}

/** Stops all workers (they restart on demand). Handy at the end of a script or test. */
export async function shutdownThreads(): Promise<void> {
  const p = pool;
  pool = null;
  if (p) await Promise.all(p.workers.map((w) => w.terminate()));
}

function ensurePool(workers: number): Pool | null {
  if (poolBroken) return null;
  const bits = node();
  if (!bits) return null;
  if (pool && pool.workers.length >= workers) return pool;
  try {
    if (!pool) {
      pool = { workers: [], errorPorts: [], control: new Int32Array(new SharedArrayBuffer(4 * (MAX_WORKERS + 2))) };
    }
    const source = bits.bundleWorker();
    while (pool.workers.length < workers) {
      const index = pool.workers.length;
      const channel = new bits.MessageChannel();
      const worker = new bits.Worker(source, {
        eval: true,
        workerData: { control: pool.control, index, errorPort: channel.port2 },
        transferList: [channel.port2],
      });
      worker.unref();
      pool.workers.push(worker);
      pool.errorPorts.push(channel.port1);
    }
    return pool;
  } catch (error) {
    poolBroken = String(error);
    process.emitWarning(`duet: worker pool unavailable, running on one thread: ${poolBroken}`);
    return null;
  }
}

/** True when `data` sits on shared memory that workers can see. */
export function isShared(data: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== "undefined" && data.buffer instanceof SharedArrayBuffer;
}

/** A copy of `data` on shared memory (same type and length), for a job's small operands. */
export function sharedCopy<T extends Float32Array | Float64Array | Int32Array>(data: T): T {
  const copy = new (data.constructor as new (buffer: SharedArrayBuffer) => T)(newSharedArrayBuffer(data.byteLength));
  copy.set(data);
  return copy;
}

/** True when a job of `work` elements (at least `minWork`) will be split over threads. */
export function willSplit(work: number, minWork: number): boolean {
  return work >= minWork && getNumThreads() > 1;
}

/**
 * The input buffers of a job of `work` elements, ready for the pool: when the job will be
 * split (`willSplit`), small inputs on ordinary memory (a bias, a LayerNorm weight, a
 * one-element number) get a shared copy, which costs little beside the job. A large
 * unshared input is left alone, and keeps the job on this thread. Inputs only: a copy is
 * never written back, so outputs must be allocated shared (`allocate(dtype, n, "shared")`).
 */
export function poolReady<T extends Float32Array | Float64Array | Int32Array>(inputs: T[], work: number, minWork: number): T[] {
  if (!willSplit(work, minWork)) return inputs;
  return inputs.map((b) => (isShared(b) || 8 * b.length > work ? b : sharedCopy(b)));
}

/**
 * Runs `kernel` over the work units [0, units), split into contiguous ranges over up to
 * `getNumThreads()` threads. `minUnitsPerThread` keeps small jobs on one thread, where the
 * wake-up (tens of microseconds) would cost more than it saves. All buffers must be
 * shared (`isShared`), or the job runs on the calling thread.
 */
export function parallelFor(
  kernel: KernelName,
  buffers: ArrayBufferView[],
  params: number[],
  units: number,
  minUnitsPerThread = 1,
): void {
  let threads = Math.min(getNumThreads(), Math.floor(units / Math.max(1, minUnitsPerThread)));
  if (threads > 1 && !buffers.every(isShared)) threads = 1;
  const p = threads > 1 ? ensurePool(threads - 1) : null;
  if (!p) {
    runKernel(kernel, buffers, params, 0, units);
    return;
  }
  const bits = node()!;
  const ctrl = p.control;
  parallelJobs++;
  Atomics.store(ctrl, DONE, 0);
  Atomics.store(ctrl, ERROR, 0);
  const bounds = Array.from({ length: threads + 1 }, (_, t) => Math.round((units * t) / threads));
  for (let w = 0; w < threads - 1; w++) {
    const job: PoolJob = { kernel, buffers, params, start: bounds[w + 1]!, end: bounds[w + 2]! };
    p.workers[w]!.postMessage(job);
    Atomics.add(ctrl, w, 1);
    Atomics.notify(ctrl, w);
  }
  let mainError: unknown = null;
  try {
    runKernel(kernel, buffers, params, bounds[0]!, bounds[1]!);
  } catch (error) {
    mainError = error;
  }
  for (;;) {
    const done = Atomics.load(ctrl, DONE);
    if (done >= threads - 1) break;
    Atomics.wait(ctrl, DONE, done);
  }
  if (mainError) throw mainError;
  if (Atomics.load(ctrl, ERROR) !== 0) {
    const messages: string[] = [];
    for (let w = 0; w < threads - 1; w++) {
      for (let m = bits.receiveMessageOnPort(p.errorPorts[w]); m; m = bits.receiveMessageOnPort(p.errorPorts[w])) {
        messages.push(String(m.message));
      }
    }
    throw new TensorError(kernel, `a worker failed: ${messages.join("; ") || "unknown error"}`);
  }
}

// One thread (DUET_THREADS=1, a one-core machine, a worker thread, a page without
// cross-origin isolation) never shares memory, so plain buffers serve it better.
try {
  setShareLargeBuffers(getNumThreads() > 1);
} catch {
  // a malformed DUET_THREADS is reported when threads are first used
}
