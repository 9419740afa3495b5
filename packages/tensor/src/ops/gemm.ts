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
 * 3. Leftovers (rows past a multiple of 3, columns past a multiple of 4) take a plain
 *    strided loop.
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
 */

import type { GemmArgs } from "./matmul.js";

/** Doubles in the packing buffer (8 MB; each thread has its own module instance). */
const PACK_DOUBLES = 1 << 20;
const PACK = new Float64Array(PACK_DOUBLES);

export function gemmTiled(g: GemmArgs, rowStart = 0, rowEnd = g.M): void {
  const K = g.K;
  const panelA = 3 * K;
  // rows per chunk: as many 3-row blocks as fit beside one 4-column panel of B
  const blocksPerChunk = Math.floor((PACK_DOUBLES - 4 * K) / Math.max(1, panelA));
  if (blocksPerChunk < 1) {
    gemmStrided(g, rowStart, rowEnd, 0, g.N); // K beyond ~150,000: no room to pack
    return;
  }
  const blocks = Math.floor((rowEnd - rowStart) / 3);
  for (let first = 0; first < blocks; first += blocksPerChunk) {
    gemmPacked(g, rowStart + 3 * first, Math.min(blocks - first, blocksPerChunk));
  }
  // leftover rows (fewer than 3)
  gemmStrided(g, rowStart + 3 * blocks, rowEnd, 0, g.N);
}

/** Rows [row0, row0 + 3 * blocks) through the packed 3x4 micro-kernel. */
function gemmPacked(g: GemmArgs, row0: number, blocks: number): void {
  const { a, b, c, K, N } = g;
  const ars = g.aRowStride, acs = g.aColStride, brs = g.bRowStride, bcs = g.bColStride;
  const crs = g.cRowStride;
  const heap = PACK;
  const panelA = 3 * K;
  const bBase = blocks * panelA;

  // 1. pack A: block q holds rows row0+3q .. +2, interleaved
  for (let q = 0; q < blocks; q++) {
    const s0 = g.aOffset + (row0 + 3 * q) * ars;
    let p = q * panelA;
    for (let k = 0, s = s0; k < K; k++, s += acs, p += 3) {
      heap[p] = a[s]!;
      heap[p + 1] = a[s + ars]!;
      heap[p + 2] = a[s + 2 * ars]!;
    }
  }

  const N4 = N - (N % 4);
  const end = bBase + 4 * K;
  for (let j = 0; j < N4; j += 4) {
    // pack four columns of B, interleaved
    for (let k = 0, s = g.bOffset + j * bcs, p = bBase; k < K; k++, s += brs, p += 4) {
      heap[p] = b[s]!;
      heap[p + 1] = b[s + bcs]!;
      heap[p + 2] = b[s + 2 * bcs]!;
      heap[p + 3] = b[s + 3 * bcs]!;
    }
    for (let q = 0; q < blocks; q++) {
      // 2. the 3x4 micro-kernel
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
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
      const r0 = g.cOffset + (row0 + 3 * q) * crs + j;
      const r1 = r0 + crs;
      const r2 = r1 + crs;
      c[r0] = c00; c[r0 + 1] = c01; c[r0 + 2] = c02; c[r0 + 3] = c03;
      c[r1] = c10; c[r1 + 1] = c11; c[r1 + 2] = c12; c[r1 + 3] = c13;
      c[r2] = c20; c[r2 + 1] = c21; c[r2 + 2] = c22; c[r2 + 3] = c23;
    }
  }

  // 3. leftovers: the last N % 4 columns of these rows
  if (N4 < N) gemmStrided(g, row0, row0 + 3 * blocks, N4, N);
}

/** Plain strided loop over a rectangle of C (the leftovers). */
function gemmStrided(g: GemmArgs, rowStart: number, rowEnd: number, colStart: number, colEnd: number): void {
  const { a, b, c, K } = g;
  const acs = g.aColStride, brs = g.bRowStride, bcs = g.bColStride;
  for (let i = rowStart; i < rowEnd; i++) {
    const a0 = g.aOffset + i * g.aRowStride;
    const c0 = g.cOffset + i * g.cRowStride;
    for (let j = colStart; j < colEnd; j++) {
      let s = 0;
      for (let k = 0, pa = a0, pb = g.bOffset + j * bcs; k < K; k++, pa += acs, pb += brs) s += a[pa]! * b[pb]!;
      c[c0 + j] = s;
    }
  }
}
