/**
 * The fast matrix-product kernel: C[i, j] = sum_k A[i, k] * B[k, j] for rows
 * [rowStart, rowEnd) of one matrix of a batch.
 *
 * How it works:
 * 1. Pack. A's rows, three at a time, are copied into a scratch Float64Array with the
 *    three rows interleaved (a0[k], a1[k], a2[k], a0[k+1], ...); then, for each group
 *    of four columns of B, those columns are interleaved the same way (b0[k]..b3[k]).
 *    Packing reads A and B once through their strides, so transposed or sliced
 *    operands cost nothing extra, and the hot loop sees one array with unit steps.
 * 2. Multiply. A 3x4 tile of C lives in 12 local doubles; each step of k loads 3 values
 *    of A and 4 of B and does 12 multiply-adds. Accumulators are doubles (JS numbers),
 *    rounded to the output dtype once, on store.
 * 3. Edges (rows past a multiple of 3, columns past a multiple of 4) are packed with
 *    zeros and run the same micro-kernel; only their stores are partial. (A plain strided
 *    loop there, as before, was measured 12-17% slower on the ViT's attention products,
 *    512 x (65x32 @ 32x65) and 512 x (65x65 @ 65x32), and on 128 x (128x65 @ 65x512).)
 *
 * Why this shape (measured on this project's 2-core AMD EPYC, Node 20, V8 11):
 * - The kernel is bound by instruction count. Every typed-array load costs V8 a map
 *   check, a bounds check and address arithmetic, so loads from one scratch array with
 *   `(p + 1) | 0` indices (int32 adds without overflow checks) were ~10% faster than
 *   loads from A and B directly, and ~20% faster than the same loop without `| 0`.
 * - The scratch array is one fixed-size module constant: V8 then treats it as a
 *   constant in optimised code (no reloading of its length and data pointer on every
 *   step), another ~10%. A's rows are therefore packed in chunks that fit it.
 * - 3x4 beat 3x3, 4x3 and 2x4; unrolling k by two was 20% slower (more spills: V8 has
 *   15 XMM registers for 12 accumulators + 4 B values + 1 A value).
 * - Math.fround on the accumulators halved the speed, so rounding happens on store.
 *
 * How far from the ceiling, and why it stays (measured 2026-12-07, same host, one thread):
 * - The pure-JS ceiling (bench/ceiling.ts: 14 independent multiply-add chains, no loads) is
 *   12.4-13.4 GFLOP/s. This micro-kernel alone, on packed data in L1, runs 6.2-6.45 GFLOP/s
 *   (48%); gemmTiled on whole products 5.6-6.1 (packing, edges); inside a training step,
 *   output allocation and colder caches included, 5.0-5.5 (`pnpm bench:profile`).
 * - The gap is instruction count, not memory: V8 spends ~6-9 instructions on each
 *   typed-array load (index add, sign extension, bounds compare and branch, base
 *   recomputation), so the 7 loads of a k step cost more than its 24 flops. Other register
 *   tiles, swept on packed data (K 64 and 256): 3x4 6.2-6.3, 4x3 6.3, 2x6 6.0-6.1, 6x2 6.0,
 *   3x5 5.8-5.9, 4x4 5.7, 4x6 5.7-5.8, 3x8 5.6, 2x8 5.4-5.5, 1x12 5.1 GFLOP/s: fewer loads per
 *   flop are paid back with spilled accumulators. Masking indices (`p & MASK` into the
 *   constant-size buffer) did not remove the bounds checks (6.45 either way).
 * - An asm.js module ("use asm") over one heap: V8 validates it and compiles it with its Wasm
 *   pipeline, but keeps explicit bounds checks (asm.js reads out of range must give
 *   undefined, not trap) and spills 4 accumulators; the same 3x4 kernel ran 6.5 against this
 *   file's 6.1-6.3 on whole products, within noise of a kernel not worth a second language
 *   (and esbuild, which bundles the workers, rewrites `0.0` to `0`, which breaks asm.js's
 *   type annotations: it would have to ship as a string).
 * What would close the gap is SIMD, which only WebAssembly has (tfjs-backend-wasm's SIMD
 * matmul runs 18-34 GFLOP/s here, `pnpm bench`), and the engine stays pure TypeScript.
 */

import type { GemmArgs } from "./matmul.js";

/** Doubles in the packing buffer (8 MB; each thread has its own module instance). */
const PACK_DOUBLES = 1 << 20;
const PACK = new Float64Array(PACK_DOUBLES);

/**
 * Inner-dimension slices longer than this are multiplied one slice at a time, each adding
 * into C: the packed A block (3 x KC) and B panel (4 x KC) of a slice stay in L1/L2. A weight
 * gradient summed over a batch (K = batch x tokens, thousands) would otherwise stream both
 * from L3 for every tile.
 */
const KC = 512;

export function gemmTiled(g: GemmArgs, rowStart = 0, rowEnd = g.M): void {
  if (g.K > KC) {
    for (let k0 = 0; k0 < g.K; k0 += KC) {
      const slice: GemmArgs = { ...g, aOffset: g.aOffset + k0 * g.aColStride, bOffset: g.bOffset + k0 * g.bRowStride, K: Math.min(KC, g.K - k0) };
      gemmRows(slice, rowStart, rowEnd, k0 > 0);
    }
  } else {
    gemmRows(g, rowStart, rowEnd, false);
  }
}

/** Rows [rowStart, rowEnd) of C = A B (or C += A B when `accumulate`), in chunks of rows that fit the packing buffer. */
function gemmRows(g: GemmArgs, rowStart: number, rowEnd: number, accumulate: boolean): void {
  const panelA = 3 * g.K;
  // rows per chunk: as many 3-row blocks as fit beside one 4-column panel of B
  const blocksPerChunk = Math.floor((PACK_DOUBLES - 4 * g.K) / Math.max(1, panelA));
  for (let row0 = rowStart; row0 < rowEnd; row0 += 3 * blocksPerChunk) {
    gemmPacked(g, row0, Math.min(rowEnd, row0 + 3 * blocksPerChunk), accumulate);
  }
}

/**
 * Rows [row0, rowEnd) through the packed 3x4 micro-kernel. A last block of fewer than 3 rows
 * and a last panel of fewer than 4 columns are packed with zeros, so every tile runs the same
 * hot loop; only the stores of those edge tiles are partial.
 */
function gemmPacked(g: GemmArgs, row0: number, rowEnd: number, accumulate: boolean): void {
  const { a, b, c, K, N } = g;
  const ars = g.aRowStride, acs = g.aColStride, brs = g.bRowStride, bcs = g.bColStride;
  const crs = g.cRowStride;
  const heap = PACK;
  const panelA = 3 * K;
  const rows = rowEnd - row0;
  const blocks = Math.ceil(rows / 3);
  const bBase = blocks * panelA;

  // 1. pack A: block q holds rows row0+3q .. +2, interleaved (zeros past rowEnd)
  for (let q = 0; q < blocks; q++) {
    const s0 = g.aOffset + (row0 + 3 * q) * ars;
    const valid = Math.min(3, rows - 3 * q);
    let p = q * panelA;
    if (valid === 3) {
      for (let k = 0, s = s0; k < K; k++, s += acs, p += 3) {
        heap[p] = a[s]!;
        heap[p + 1] = a[s + ars]!;
        heap[p + 2] = a[s + 2 * ars]!;
      }
    } else {
      for (let k = 0, s = s0; k < K; k++, s += acs, p += 3) {
        heap[p] = a[s]!;
        heap[p + 1] = valid > 1 ? a[s + ars]! : 0;
        heap[p + 2] = 0;
      }
    }
  }

  const end = bBase + 4 * K;
  for (let j = 0; j < N; j += 4) {
    // pack four columns of B, interleaved (zeros past N)
    const cols = Math.min(4, N - j);
    if (cols === 4) {
      for (let k = 0, s = g.bOffset + j * bcs, p = bBase; k < K; k++, s += brs, p += 4) {
        heap[p] = b[s]!;
        heap[p + 1] = b[s + bcs]!;
        heap[p + 2] = b[s + 2 * bcs]!;
        heap[p + 3] = b[s + 3 * bcs]!;
      }
    } else {
      for (let k = 0, s = g.bOffset + j * bcs, p = bBase; k < K; k++, s += brs, p += 4) {
        heap[p] = b[s]!;
        heap[p + 1] = cols > 1 ? b[s + bcs]! : 0;
        heap[p + 2] = cols > 2 ? b[s + 2 * bcs]! : 0;
        heap[p + 3] = 0;
      }
    }
    for (let q = 0; q < blocks; q++) {
      // 2. the 3x4 micro-kernel
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      const r0 = g.cOffset + (row0 + 3 * q) * crs + j;
      const validRows = Math.min(3, rows - 3 * q);
      if (accumulate) {
        // a later slice of K: start from what the earlier slices left in C
        if (validRows === 3 && cols === 4) {
          const r1 = r0 + crs;
          const r2 = r1 + crs;
          c00 = c[r0]!; c01 = c[r0 + 1]!; c02 = c[r0 + 2]!; c03 = c[r0 + 3]!;
          c10 = c[r1]!; c11 = c[r1 + 1]!; c12 = c[r1 + 2]!; c13 = c[r1 + 3]!;
          c20 = c[r2]!; c21 = c[r2 + 1]!; c22 = c[r2 + 2]!; c23 = c[r2 + 3]!;
        } else {
          const t = loadEdge(c, r0, crs, validRows, cols);
          c00 = t[0]!; c01 = t[1]!; c02 = t[2]!; c03 = t[3]!;
          c10 = t[4]!; c11 = t[5]!; c12 = t[6]!; c13 = t[7]!;
          c20 = t[8]!; c21 = t[9]!; c22 = t[10]!; c23 = t[11]!;
        }
      }
      let pa = q * panelA;
      for (let pb = bBase; pb < end; pb = (pb + 4) | 0, pa = (pa + 3) | 0) {
        const b0 = heap[pb]!, b1 = heap[(pb + 1) | 0]!, b2 = heap[(pb + 2) | 0]!, b3 = heap[(pb + 3) | 0]!;
        let x = heap[pa]!;
        c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
        x = heap[(pa + 1) | 0]!;
        c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
        x = heap[(pa + 2) | 0]!;
        c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
      }
      if (validRows === 3 && cols === 4) {
        const r1 = r0 + crs;
        const r2 = r1 + crs;
        c[r0] = c00; c[r0 + 1] = c01; c[r0 + 2] = c02; c[r0 + 3] = c03;
        c[r1] = c10; c[r1 + 1] = c11; c[r1 + 2] = c12; c[r1 + 3] = c13;
        c[r2] = c20; c[r2 + 1] = c21; c[r2 + 2] = c22; c[r2 + 3] = c23;
      } else {
        // an edge tile: store its valid part
        storeEdge(c, r0, crs, validRows, cols, c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23);
      }
    }
  }
}

const EDGE = new Float64Array(12);

/** The valid rows x cols corner of C's 3x4 tile at c[r0] (row stride crs), zeros elsewhere, in EDGE. */
function loadEdge(c: GemmArgs["c"], r0: number, crs: number, rows: number, cols: number): Float64Array {
  EDGE.fill(0);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) EDGE[4 * r + k] = c[r0 + r * crs + k]!;
  return EDGE;
}

/** The valid rows x cols corner of a 3x4 tile, row-major from c[r0] with row stride crs. */
function storeEdge(
  c: GemmArgs["c"], r0: number, crs: number, rows: number, cols: number,
  c00: number, c01: number, c02: number, c03: number,
  c10: number, c11: number, c12: number, c13: number,
  c20: number, c21: number, c22: number, c23: number,
): void {
  const t = EDGE;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) c[r0 + r * crs + k] = t[4 * r + k]!;
}
