/// <reference lib="dom" />
/**
 * The worker pool in a browser, beside Node's (threads.ts, worker-entry.ts). Node's pool splits
 * a kernel over worker threads that share memory, and the calling thread blocks on
 * Atomics.wait until they finish. A browser can do the same, with two conditions:
 *
 *   - SharedArrayBuffer exists only when the page is cross-origin isolated: `duet serve`
 *     sends COOP same-origin and COEP require-corp for that. Without them: one thread.
 *   - A page's main thread may not block (Atomics.wait throws there). So the engine runs in
 *     one dedicated worker (vlm's browser/engine/engine-worker.ts), which owns the pool and
 *     may block; the page only posts requests to it and stays responsive.
 *
 * Two differences from Node's worker_threads shape how the pool workers (browser-worker.ts) run:
 *
 *   - Node's workers sleep in Atomics.wait and take their job synchronously with
 *     receiveMessageOnPort, which browsers lack. A browser pool worker instead idles in its
 *     event loop and runs each job from `onmessage`: a message posted to a started worker is
 *     delivered while the engine worker blocks, since delivery needs only the receiver's loop.
 *   - A worker created while its creator blocks may never start (its start-up can need the
 *     creator's event loop). So the workers are started here, asynchronously, and the pool
 *     is lent to threads.ts (setThreadHost) only once each has said it is ready.
 *
 * A kernel's error travels back through a small shared buffer per worker (browser-error-slot.ts),
 * since no message port can be read synchronously.
 *
 * The worker script is browser-worker.ts, bundled by the page's build as its own file
 * (`@duet/tensor/browser-worker`); its URL is startBrowserPool's first argument.
 */

import { newErrorSlot, readErrorSlot, type ErrorSlot } from "./browser-error-slot.js";
import { setNumThreads, setThreadHost, type ThreadHost } from "./threads.js";

export interface PoolStart {
  /** Threads kernels use, the engine worker's own included (1 = no pool). */
  threads: number;
  /** Why there is no pool, when threads is 1. */
  reason?: string;
}

/** Whether this context can run the pool: shared memory, and a thread that may block. */
export function poolPossible(): string | null {
  if (typeof SharedArrayBuffer === "undefined") return "SharedArrayBuffer is unavailable (the page is not cross-origin isolated: serve it with COOP/COEP headers, as duet serve does)";
  if (!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) return "the page is not cross-origin isolated";
  if (typeof (globalThis as { document?: unknown }).document !== "undefined") return "a page's main thread cannot block; run the engine in a worker";
  return null;
}

/**
 * Starts `threads - 1` pool workers from `workerUrl`, waits until each is ready (or
 * `timeoutMs` passes: then no pool), and lends them to the pool (threads.ts).
 */
export async function startBrowserPool(workerUrl: string, threads: number, timeoutMs = 10_000): Promise<PoolStart> {
  const impossible = poolPossible();
  if (impossible !== null) return { threads: 1, reason: impossible };
  const count = Math.max(0, Math.min(threads, 64) - 1);
  if (count === 0) return { threads: 1, reason: "one thread asked for" };
  const started: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, (_, index) => {
        const worker = new Worker(workerUrl, { type: "module", name: `duet-pool-${index}` });
        started.push(worker);
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`pool worker ${index} did not start within ${timeoutMs} ms`)), timeoutMs);
          worker.onmessage = (event: MessageEvent) => {
            if ((event.data as { type?: string }).type !== "ready") return;
            clearTimeout(timer);
            worker.onmessage = null;
            resolve();
          };
          worker.onerror = (event) => {
            clearTimeout(timer);
            reject(new Error(`pool worker ${index} failed to start: ${event.message}`));
          };
        });
      }),
    );
  } catch (error) {
    for (const worker of started) worker.terminate();
    return { threads: 1, reason: (error as Error).message };
  }

  /** threads.ts "creates" worker i; it gets started[i], told its control slots. */
  class PooledWorker {
    private readonly worker: Worker;
    constructor(_code: string, options: { workerData: { index: number } }) {
      const worker = started[options.workerData.index];
      if (worker === undefined) throw new Error(`the browser pool has ${started.length} workers, not ${options.workerData.index + 1}`);
      this.worker = worker;
      worker.postMessage({ type: "init", workerData: options.workerData });
    }
    postMessage(message: unknown): void {
      this.worker.postMessage(message);
    }
    unref(): void {}
    terminate(): Promise<number> {
      return Promise.resolve(0); // kept for the next pool: a new worker could not start while the engine blocks
    }
  }
  class ErrorChannel {
    readonly port1: ErrorSlot;
    readonly port2: ErrorSlot;
    constructor() {
      this.port1 = this.port2 = newErrorSlot();
    }
  }
  const host: ThreadHost = {
    Worker: PooledWorker as unknown as ThreadHost["Worker"],
    MessageChannel: ErrorChannel as unknown as ThreadHost["MessageChannel"],
    receiveMessageOnPort: (port) => readErrorSlot(port as ErrorSlot),
    isMainThread: true,
    cores: count + 1,
    env: {},
    bundleWorker: () => "",
  };
  setThreadHost(host);
  setNumThreads(count + 1);
  return { threads: count + 1 };
}
