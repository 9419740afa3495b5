/**
 * A pool worker: sleep on our control slot, wake, take the job message synchronously,
 * run our range of it, count it done, sleep again. Bundled by esbuild (see threads.ts).
 */

import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import { runPoolJob, type PoolJob } from "./kernels.js";

const { control, index, errorPort } = workerData as { control: Int32Array; index: number; errorPort: MessagePort };
const DONE = 64;
const ERROR = 65;

let seen = 0;
for (;;) {
  const received = receiveMessageOnPort(parentPort!);
  if (received === undefined) {
    // no job yet: sleep until our counter moves (a timeout guards against a lost wake-up)
    Atomics.wait(control, index, seen, 1000);
    seen = Atomics.load(control, index);
    continue;
  }
  try {
    runPoolJob(received.message as PoolJob);
  } catch (error) {
    errorPort.postMessage(error instanceof Error ? error.message : String(error));
    Atomics.store(control, ERROR, 1);
  }
  Atomics.add(control, DONE, 1);
  Atomics.notify(control, DONE);
}
