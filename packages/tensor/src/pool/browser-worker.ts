/// <reference lib="dom" />
/**
 * A browser pool worker (see browser-host.ts): told its control array once ("init"), then runs
 * each job it is sent over its range of work units and counts it done, exactly as Node's
 * worker-entry.ts does after its wake-up. A script with side effects, so not in the index:
 * a page's build bundles it as its own file from `@duet/tensor/browser-worker`.
 */

import { writeErrorSlot, type ErrorSlot } from "./browser-error-slot.js";
import { runPoolJob, type PoolJob } from "./kernels.js";

/** Control slots after the 64 per-worker counters (threads.ts). */
const DONE = 64;
const ERROR = 65;

type Message = { type: "init"; workerData: { control: Int32Array; index: number; errorPort: ErrorSlot } } | PoolJob;

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<Message>) => void) | null; postMessage(message: unknown): void };
let control: Int32Array | null = null;
let errorSlot: ErrorSlot | null = null;

scope.onmessage = (event) => {
  const message = event.data;
  if ("type" in message) {
    control = message.workerData.control;
    errorSlot = message.workerData.errorPort;
    return;
  }
  try {
    runPoolJob(message);
  } catch (error) {
    writeErrorSlot(errorSlot!, error instanceof Error ? error.message : String(error));
    Atomics.store(control!, ERROR, 1);
  }
  Atomics.add(control!, DONE, 1);
  Atomics.notify(control!, DONE);
};
scope.postMessage({ type: "ready" });
