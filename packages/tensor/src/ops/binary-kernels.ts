/**
 * The row kernels of the binary ops, by name: each computes n outputs
 * z[zi + k] = f(x[xi + k*xStep], y[yi + k*yStep]), one line of math inside its own loop.
 * A step of 0 repeats one element (a broadcast operand or a number). Module-level
 * functions in one table, so the worker pool runs them by name (see elementwise-kernel.ts).
 */

import type { TypedArray } from "../dtype.js";

/** z[zi + k] = f(x[xi + k*xStep], y[yi + k*yStep]) for k in [0, n); `args` holds an op's numbers, if any. */
export type BinaryKernel = (
  x: TypedArray, xi: number, xStep: number,
  y: TypedArray, yi: number, yStep: number,
  z: TypedArray, zi: number, n: number,
  args: ArrayLike<number>,
) => void;

export const BINARY_KERNELS = {
  /** z = a + b */
  add(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! + y[yi]!;
  },
  /** z = a - b */
  sub(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! - y[yi]!;
  },
  /** z = a * b */
  mul(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! * y[yi]!;
  },
  /** z = a * b for int32, wrapping around as in C */
  mulInt32(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = Math.imul(x[xi]!, y[yi]!);
  },
  /** z = a / b */
  div(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! / y[yi]!;
  },
  /** z = a ^ b */
  pow(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = Math.pow(x[xi]!, y[yi]!);
  },
  /** z = max(a, b), NaN if either is */
  maximum(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = Math.max(x[xi]!, y[yi]!);
  },
  /** z = min(a, b), NaN if either is */
  minimum(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = Math.min(x[xi]!, y[yi]!);
  },
  /** z = a == b ? 1 : 0 */
  eq(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! === y[yi]! ? 1 : 0;
  },
  /** z = a != b ? 1 : 0 */
  ne(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! !== y[yi]! ? 1 : 0;
  },
  /** z = a < b ? 1 : 0 */
  lt(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! < y[yi]! ? 1 : 0;
  },
  /** z = a <= b ? 1 : 0 */
  le(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! <= y[yi]! ? 1 : 0;
  },
  /** z = a > b ? 1 : 0 */
  gt(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! > y[yi]! ? 1 : 0;
  },
  /** z = a >= b ? 1 : 0 */
  ge(x, xi, xStep, y, yi, yStep, z, zi, n) {
    for (const end = zi + n; zi < end; zi++, xi += xStep, yi += yStep) z[zi] = x[xi]! >= y[yi]! ? 1 : 0;
  },
} satisfies Record<string, BinaryKernel>;

export type BinaryKernelName = keyof typeof BINARY_KERNELS;
