/**
 * A pool worker: sleep on our control slot, wake, take the job message synchronously,
 * run our range of it, count it done, sleep again. Bundled by esbuild (see threads.ts).
 */

import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import { runKernel, type KernelName } from "./kernels.js";
import { noteSharedReceived } from "../shared-memory.js";

interface Job {
  kernel: KernelName;
  buffers: ArrayBufferView[];
  params: number[];
  start: number;
  end: number;
}

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
  const job = received.message as Job;
  // this thread's copies of the buffers keep them alive until it collects (see shared-memory.ts)
  let bytes = 0;
  for (const b of job.buffers) bytes += b.byteLength;
  noteSharedReceived(bytes);
  try {
    runKernel(job.kernel, job.buffers, job.params, job.start, job.end);
  } catch (error) {
    errorPort.postMessage(error instanceof Error ? error.message : String(error));
    Atomics.store(control, ERROR, 1);
  }
  Atomics.add(control, DONE, 1);
  Atomics.notify(control, DONE);
}
