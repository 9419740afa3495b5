/**
 * An optional observer of kernel calls, for profilers (`pnpm bench:profile` times every
 * matrix product of a training step by shape with it). Off by default: a kernel pays one
 * null check per call. Not for tests: timings are never asserted.
 */

/** `kernel` names the op ("matmul"); `key` its shape and layout; `ms` the wall time of the call, output allocation included. */
export type KernelObserver = (kernel: string, key: string, ms: number) => void;

let observer: KernelObserver | null = null;

/** Sets (or, with null, removes) the one observer. */
export function observeKernels(fn: KernelObserver | null): void {
  observer = fn;
}

/** The observer, or null: kernels read it once per call. */
export function kernelObserver(): KernelObserver | null {
  return observer;
}
