/**
 * matmul: C = A @ B, as torch.matmul.
 *
 *   a is (..., M, K), b is (..., K, N)  ->  (..., M, N), batch dims broadcast
 *   a 1-D vector is treated as a row (for a) or a column (for b) and that dim is dropped
 *
 * Transposed and other strided operands are read in place through their strides: no copy.
 */

import { allocate, promoteTypes, type TypedArray } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { broadcastShapes, broadcastStrides, sizeOf } from "../shape.js";
import { Tensor } from "../tensor.js";
import { getNumThreads, isShared, parallelFor, sharedCopy } from "../pool/threads.js";
import { gemmParams, gemmUnitCount } from "../pool/kernels.js";
import { kernelObserver } from "../profile.js";

/**
 * A thread gets at least this many flops: waking a worker costs tens of microseconds,
 * which a 64x64x64 product (0.5 MFLOP, ~0.1 ms) does not repay.
 */
const PARALLEL_MIN_FLOPS = 1 << 20;

/** One matrix product's operands inside the batch: storage, offset and strides. */
export interface GemmArgs {
  a: TypedArray;
  aOffset: number;
  aRowStride: number;
  aColStride: number;
  b: TypedArray;
  bOffset: number;
  bRowStride: number;
  bColStride: number;
  c: TypedArray;
  cOffset: number;
  cRowStride: number;
  M: number;
  K: number;
  N: number;
}

/**
 * The naive reference kernel: the definition, one dot product per output element,
 * rows [rowStart, rowEnd). Kept as the oracle for tests and the baseline for benchmarks.
 */
export function gemmNaive(g: GemmArgs, rowStart = 0, rowEnd = g.M): void {
  const { a, b, c, K, N } = g;
  for (let i = rowStart; i < rowEnd; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) {
        acc += a[g.aOffset + i * g.aRowStride + k * g.aColStride]! * b[g.bOffset + k * g.bRowStride + j * g.bColStride]!;
      }
      c[g.cOffset + i * g.cRowStride + j] = acc;
    }
  }
}

export type GemmKernel = (g: GemmArgs, rowStart?: number, rowEnd?: number) => void;

interface Plan {
  outShape: number[];
  batches: GemmArgs[];
  out: Tensor;
}

function plan(a: Tensor, b: Tensor, output: "auto" | "pool" = "auto"): Plan {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new TensorError("matmul", `both operands need at least 1 dim, got a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}`);
  }
  if (a.dtype === "int32" || b.dtype === "int32") {
    throw new TensorError("matmul", `operands must be float32 or float64, got a ${a.dtype} and b ${b.dtype}`);
  }
  const a2 = a.ndim === 1 ? a.unsqueeze(0) : a;
  const b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
  const M = a2.shape[a2.ndim - 2]!;
  const K = a2.shape[a2.ndim - 1]!;
  const K2 = b2.shape[b2.ndim - 2]!;
  const N = b2.shape[b2.ndim - 1]!;
  if (K !== K2) {
    throw new TensorError("matmul", `inner dimensions differ: a is ${fmtShape(a.shape)}, b is ${fmtShape(b.shape)}`);
  }
  const batchA = a2.shape.slice(0, -2);
  const batchB = b2.shape.slice(0, -2);
  const batch = broadcastShapes("matmul", batchA, batchB, ["a's batch dims", "b's batch dims"]);
  const aBatchStrides = broadcastStrides(batchA, a2.strides.slice(0, -2), batch);
  const bBatchStrides = broadcastStrides(batchB, b2.strides.slice(0, -2), batch);
  const nBatch = sizeOf(batch);
  const dtype = promoteTypes(a.dtype, b.dtype);
  // mixed float32/float64 operands compute in float64
  const A = a2.dtype === dtype ? a2 : a2.to(dtype);
  const B = b2.dtype === dtype ? b2 : b2.to(dtype);
  const c = allocate(dtype, nBatch * M * N, output === "pool" ? (splits(nBatch, M, K, N) ? "shared" : "plain") : "auto");
  const outShape = [...batch, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])];
  if (nBatch > 1 && stacksRows(batch, aBatchStrides, bBatchStrides, M * A.strides[A.ndim - 2]!)) {
    // one b for every batch and a's matrices stacked row after row: one (nBatch*M, K) @ (K, N)
    // product, the same sums in the same order, with no rows left over at each matrix's end
    const rows: GemmArgs = {
      a: A.data, aOffset: A.offset, aRowStride: A.strides[A.ndim - 2]!, aColStride: A.strides[A.ndim - 1]!,
      b: B.data, bOffset: B.offset, bRowStride: B.strides[B.ndim - 2]!, bColStride: B.strides[B.ndim - 1]!,
      c, cOffset: 0, cRowStride: N, M: nBatch * M, K, N,
    };
    return { outShape, batches: [rows], out: new Tensor(c, outShape) };
  }
  const batches: GemmArgs[] = [];
  const index = new Array<number>(batch.length).fill(0);
  for (let n = 0; n < nBatch; n++) {
    let aOff = A.offset;
    let bOff = B.offset;
    for (let d = 0; d < batch.length; d++) {
      aOff += index[d]! * aBatchStrides[d]!;
      bOff += index[d]! * bBatchStrides[d]!;
    }
    batches.push({
      a: A.data, aOffset: aOff, aRowStride: A.strides[A.ndim - 2]!, aColStride: A.strides[A.ndim - 1]!,
      b: B.data, bOffset: bOff, bRowStride: B.strides[B.ndim - 2]!, bColStride: B.strides[B.ndim - 1]!,
      c, cOffset: n * M * N, cRowStride: N, M, K, N,
    });
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++index[d]! < batch[d]!) break;
      index[d] = 0;
    }
  }
  return { outShape, batches, out: new Tensor(c, outShape) };
}

/**
 * True when b is broadcast over the whole batch (stride 0) and a's matrices follow one
 * another in storage, row after row: batch n starts n*M rows (`matrixStride`) after batch 0.
 * Then the batch is one tall matrix product (a Linear layer on (B, L, in) inputs).
 */
function stacksRows(batch: readonly number[], aBatchStrides: readonly number[], bBatchStrides: readonly number[], matrixStride: number): boolean {
  if (bBatchStrides.some((s, d) => s !== 0 && batch[d]! > 1)) return false;
  let expected = matrixStride;
  for (let d = batch.length - 1; d >= 0; d--) {
    if (batch[d]! > 1 && aBatchStrides[d] !== expected) return false;
    expected *= batch[d]!;
  }
  return true;
}

/** The matrix product with the naive kernel (the oracle). */
export function matmulNaive(a: Tensor, b: Tensor): Tensor {
  const p = plan(a, b);
  for (const g of p.batches) gemmNaive(g);
  return p.out;
}

/** The matrix product (torch.matmul semantics), tiled kernel, parallel over row blocks. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const observer = kernelObserver();
  if (observer === null) return matmulTiled(a, b);
  const t0 = performance.now();
  const out = matmulTiled(a, b);
  observer("matmul", matmulKey(a, b), performance.now() - t0);
  return out;
}

/** "batch x (M x K @ K x N)", with "ᵀ" on an operand read transposed (column stride not 1): how a profile groups products. */
function matmulKey(a: Tensor, b: Tensor): string {
  const m = (t: Tensor, vector: "row" | "col") => {
    if (t.ndim === 1) return vector === "row" ? [1, t.shape[0]!, 1] : [t.shape[0]!, 1, 1];
    return [t.shape[t.ndim - 2]!, t.shape[t.ndim - 1]!, t.strides[t.ndim - 1]!];
  };
  const [M, K, aCol] = m(a, "row");
  const [, N, bCol] = m(b, "col");
  const batch = Math.max(sizeOf(a.shape.slice(0, -2)), sizeOf(b.shape.slice(0, -2)));
  return `${batch > 1 ? `${batch} x ` : ""}(${M}x${K}${aCol !== 1 ? "ᵀ" : ""} @ ${K}x${N}${bCol !== 1 ? "ᵀ" : ""})`;
}

/** Row blocks a thread must get at least, for products of K x N (see PARALLEL_MIN_FLOPS). */
function minUnitsPerThread(K: number, N: number): number {
  return Math.ceil(PARALLEL_MIN_FLOPS / Math.max(1, 6 * N * K));
}

/**
 * Whether the pool will split a product of this shape: what decides where its output goes.
 * An output the pool will not write stays on plain memory: a fresh SharedArrayBuffer costs
 * more to allocate and to collect than an ArrayBuffer, and a small product on two threads was
 * slower than on one for that alone (`pnpm bench`, 64³: 0.185 ms against 0.109).
 */
function splits(nBatch: number, M: number, K: number, N: number): boolean {
  // the rows of a stacked batch are one product, so the unit count is at least this one's
  return getNumThreads() > 1 && nBatch * Math.ceil(M / 3) >= 2 * minUnitsPerThread(K, N);
}

function matmulTiled(a: Tensor, b: Tensor): Tensor {
  const p = plan(a, b, "pool");
  const g = p.batches[0];
  if (!g || g.M === 0 || g.N === 0) return p.out;
  const units = gemmUnitCount(p.batches);
  const minUnits = minUnitsPerThread(g.K, g.N);
  let aData = g.a;
  let bData = g.b;
  if (getNumThreads() > 1 && units >= 2 * minUnits && isShared(g.c)) {
    // workers can only see shared memory: small operands of a big product get a shared copy
    if (!isShared(aData)) aData = sharedCopy(aData);
    if (!isShared(bData)) bData = sharedCopy(bData);
  }
  parallelFor("gemm", [aData, bData, g.c], gemmParams(p.batches), units, minUnits);
  return p.out;
}

