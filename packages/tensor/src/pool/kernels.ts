/**
 * The kernels the worker pool can run, by name. Each takes the job's shared buffers,
 * its numeric parameters and a range [start, end) of work units; the calling thread and
 * the workers run the very same functions, so results never depend on the thread count.
 */

import type { TypedArray } from "../dtype.js";
import { gemmTiled } from "../ops/gemm.js";
import type { GemmArgs } from "../ops/matmul.js";
import { softmaxRows, logSoftmaxRows, softmaxBackwardRows, logSoftmaxBackwardRows } from "../ops/softmax-kernel.js";
import { binaryUnits, unaryUnits } from "../ops/elementwise-kernel.js";
import { layerNormBackwardRows, layerNormParamGradColumns, layerNormRows } from "../ops/layernorm-kernel.js";
import { sumColumns } from "../ops/reduce-kernels.js";
import { noteSharedReceived } from "../shared-memory.js";

export type KernelName =
  | "gemm"
  | "softmax" | "logSoftmax" | "softmaxBackward" | "logSoftmaxBackward"
  | "unary" | "binary"
  | "layerNorm" | "layerNormBackward" | "layerNormParamGrads"
  | "sumColumns";

type Floats = Float32Array | Float64Array;

export function runKernel(name: KernelName, buffers: ArrayBufferView[], params: number[], start: number, end: number): void {
  switch (name) {
    case "gemm":
      return gemmUnits(buffers as TypedArray[], params, start, end);
    case "softmax":
      return softmaxRows(buffers[0] as Floats, buffers[1] as Floats, params[0]!, start, end);
    case "logSoftmax":
      return logSoftmaxRows(buffers[0] as Floats, buffers[1] as Floats, params[0]!, start, end);
    case "softmaxBackward":
      return softmaxBackwardRows(buffers[0] as Floats, buffers[1] as Floats, buffers[2] as Floats, params[0]!, start, end);
    case "logSoftmaxBackward":
      return logSoftmaxBackwardRows(buffers[0] as Floats, buffers[1] as Floats, buffers[2] as Floats, params[0]!, start, end);
    case "unary":
      return unaryUnits(buffers, params, start, end);
    case "binary":
      return binaryUnits(buffers, params, start, end);
    case "layerNorm": {
      // buffers: x, weight, bias, out, mean, rstd; params: n, eps, hasWeight, hasBias
      const [x, w, b, out, mean, rstd] = buffers as TypedArray[];
      return layerNormRows(x!, params[2] ? w! : null, params[3] ? b! : null, out!, mean!, rstd!, params[0]!, params[1]!, start, end);
    }
    case "layerNormBackward": {
      // buffers: x, weight, dy, mean, rstd, dx; params: n, hasWeight
      const [x, w, dy, mean, rstd, dx] = buffers as TypedArray[];
      return layerNormBackwardRows(x!, params[1] ? w! : null, dy!, mean!, rstd!, dx!, params[0]!, start, end);
    }
    case "layerNormParamGrads": {
      // buffers: x, dy, mean, rstd, dweight, dbias; params: n, rows; units are columns
      const [x, dy, mean, rstd, dw, db] = buffers as TypedArray[];
      return layerNormParamGradColumns(x!, dy!, mean!, rstd!, dw as Float64Array, db as Float64Array, params[0]!, params[1]!, start, end);
    }
    case "sumColumns":
      // buffers: data, acc; params: start, reduced, inner; units are columns
      return sumColumns(buffers[0] as TypedArray, params[0]!, params[1]!, params[2]!, buffers[1] as Float64Array, start, end);
    default:
      throw new Error(`runKernel: unknown kernel "${String(name)}"`);
  }
}

/** A job as posted to a pool worker: the kernel, its buffers and numbers, and this worker's range. */
export interface PoolJob {
  kernel: KernelName;
  buffers: ArrayBufferView[];
  params: number[];
  start: number;
  end: number;
}

/**
 * Runs a job a pool worker received (Node's worker-entry.ts and the browser's pool worker):
 * first counts its buffers, since this thread's handles keep them alive until it collects
 * (shared-memory.ts), then runs its range.
 */
export function runPoolJob(job: PoolJob): void {
  let bytes = 0;
  for (const b of job.buffers) bytes += b.byteLength;
  noteSharedReceived(bytes);
  runKernel(job.kernel, job.buffers, job.params, job.start, job.end);
}

/**
 * Parameters of a batched matrix product for the pool:
 * [nBatch, M, K, N, aRowStride, aColStride, bRowStride, bColStride, aOffset x nBatch, bOffset x nBatch].
 * C is row-major, batch n at offset n*M*N. A work unit is a block of 3 rows of one matrix.
 */
export function gemmParams(batches: readonly GemmArgs[]): number[] {
  const g = batches[0]!;
  return [
    batches.length, g.M, g.K, g.N, g.aRowStride, g.aColStride, g.bRowStride, g.bColStride,
    ...batches.map((x) => x.aOffset),
    ...batches.map((x) => x.bOffset),
  ];
}

export function gemmUnitCount(batches: readonly GemmArgs[]): number {
  return batches.length * Math.ceil(batches[0]!.M / 3);
}

function gemmUnits(buffers: TypedArray[], params: number[], start: number, end: number): void {
  const [nBatch, M, K, N, ars, acs, brs, bcs] = params as [number, number, number, number, number, number, number, number];
  const perBatch = Math.ceil(M / 3);
  let u = start;
  while (u < end) {
    const n = Math.floor(u / perBatch);
    const first = u - n * perBatch;
    const last = Math.min(perBatch, first + (end - u));
    const g: GemmArgs = {
      a: buffers[0]!, aOffset: params[8 + n]!, aRowStride: ars, aColStride: acs,
      b: buffers[1]!, bOffset: params[8 + nBatch + n]!, bRowStride: brs, bColStride: bcs,
      c: buffers[2]!, cOffset: n * M * N, cRowStride: N, M, K, N,
    };
    gemmTiled(g, 3 * first, Math.min(M, 3 * last));
    u += last - first;
  }
}
