/**
 * A browser pool worker's error mailbox. Node's pool workers report a kernel's error on a
 * MessagePort that the blocked calling thread reads synchronously (receiveMessageOnPort);
 * browsers cannot read a port synchronously, so each worker gets a small SharedArrayBuffer
 * instead: Int32 [0] holds the message's byte length (0 = empty), the UTF-8 bytes follow at 4.
 * Its own file, so the pool worker's bundle takes this and the kernels, not the host.
 */

/** Bytes of an error message a worker can report (UTF-8, cut to fit). */
export const ERROR_SLOT_BYTES = 1024;

export interface ErrorSlot {
  readonly buffer: SharedArrayBuffer;
}

export function newErrorSlot(): ErrorSlot {
  return { buffer: new SharedArrayBuffer(4 + ERROR_SLOT_BYTES) };
}

/** In the worker: leaves `message` for the calling thread. */
export function writeErrorSlot(slot: ErrorSlot, message: string): void {
  const bytes = new TextEncoder().encode(message).subarray(0, ERROR_SLOT_BYTES);
  new Uint8Array(slot.buffer, 4, ERROR_SLOT_BYTES).set(bytes);
  Atomics.store(new Int32Array(slot.buffer, 0, 1), 0, bytes.length);
}

/** On the calling thread: takes the message out (as receiveMessageOnPort does), or undefined. */
export function readErrorSlot(slot: ErrorSlot): { message: string } | undefined {
  const length = Atomics.exchange(new Int32Array(slot.buffer, 0, 1), 0, 0);
  if (length === 0) return undefined;
  return { message: new TextDecoder().decode(new Uint8Array(slot.buffer, 4, length).slice()) };
}
