/**
 * The laws of the contrastive losses, as properties over random batches (float64):
 *   - a shared permutation of the pairs leaves the loss unchanged;
 *   - swapping the roles of images and texts leaves InfoNCE unchanged;
 *   - a batch of one has nothing to contrast: InfoNCE is exactly 0;
 *   - temperature → 0 (scale → ∞) gives hard assignments: loss / scale → the mean margin by
 *     which the best wrong match beats the right one (0 when the diagonal wins everywhere);
 *   - both equal their textbook formulas; gradients equal central differences;
 *   - hard negatives only add columns: the loss never goes down.
 * Parity with open_clip's ClipLoss / SigLipLoss on real features is in clip-parity.test.ts.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { Generator, l2Normalize, matmul, randn, Tensor } from "../../packages/tensor/src/index.js";
import {
  contrastiveLoss,
  getGroundTruth,
  getLogits,
  SIGLIP_INIT_LOGIT_BIAS,
  SIGLIP_INIT_LOGIT_SCALE,
  sigLipGroundTruth,
  sigLipLoss,
} from "../../packages/vlm/src/index.js";

const RUNS = { numRuns: 60, seed: 42 };

/** A batch of N (image, text) pairs of normalised D-dim float64 features. */
const batch = (minN = 1, maxN = 6) =>
  fc.record({ n: fc.integer({ min: minN, max: maxN }), d: fc.integer({ min: 2, max: 8 }), seed: fc.integer({ min: 0, max: 1 << 30 }) }).map(({ n, d, seed }) => {
    const g = new Generator(seed);
    return {
      images: l2Normalize(randn([n, d], { dtype: "float64", generator: g })),
      texts: l2Normalize(randn([n, d], { dtype: "float64", generator: g })),
      n,
      d,
    };
  });

function rows(t: Tensor): number[][] {
  return t.toArray() as number[][];
}

/** Σ log-softmax by hand: mean over rows of -(x_i,label - logsumexp(x_i)). */
function crossEntropyByHand(logits: number[][], labels: number[]): number {
  let total = 0;
  logits.forEach((row, i) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    total += lse - row[labels[i]!]!;
  });
  return total / logits.length;
}

function similarity(a: Tensor, b: Tensor): number[][] {
  return rows(matmul(a, b.transpose(0, 1)));
}

function permuteRows(t: Tensor, order: number[]): Tensor {
  const r = rows(t);
  return new Tensor(Float64Array.from(order.flatMap((i) => r[i]!)), t.shape);
}

describe("contrastiveLoss (symmetric InfoNCE)", () => {
  it("equals (CE(s·I@Tᵀ, diag) + CE(s·T@Iᵀ, diag)) / 2 computed by hand", () => {
    fc.assert(
      fc.property(batch(), fc.double({ min: 0.5, max: 100, noNaN: true }), ({ images, texts, n }, scale) => {
        const S = similarity(images, texts).map((r) => r.map((v) => v * scale));
        const St = S[0]!.map((_, j) => S.map((r) => r[j]!));
        const labels = Array.from({ length: n }, (_, i) => i);
        const want = (crossEntropyByHand(S, labels) + crossEntropyByHand(St, labels)) / 2;
        expect(contrastiveLoss(images, texts, scale).item()).toBeCloseTo(want, 10);
      }),
      RUNS,
    );
  });

  it("a shared permutation of the pairs leaves the loss unchanged", () => {
    fc.assert(
      fc.property(
        batch(2).chain((b) => fc.tuple(fc.constant(b), fc.shuffledSubarray([...Array(b.n).keys()], { minLength: b.n, maxLength: b.n }))),
        ([{ images, texts }, order]) => {
          const before = contrastiveLoss(images, texts, 14.3).item();
          const after = contrastiveLoss(permuteRows(images, order), permuteRows(texts, order), 14.3).item();
          expect(Math.abs(after - before), `order ${order}: ${before} vs ${after}`).toBeLessThan(1e-12);
        },
      ),
      RUNS,
    );
  });

  it("is symmetric in images and texts", () => {
    fc.assert(
      fc.property(batch(), ({ images, texts }) => {
        expect(contrastiveLoss(texts, images, 7).item()).toBeCloseTo(contrastiveLoss(images, texts, 7).item(), 12);
      }),
      RUNS,
    );
  });

  it("a batch of one gives exactly 0, whatever the features and scale", () => {
    fc.assert(
      fc.property(batch(1, 1), fc.double({ min: 0, max: 1000, noNaN: true }), ({ images, texts }, scale) => {
        expect(contrastiveLoss(images, texts, scale).item()).toBe(0);
      }),
      RUNS,
    );
  });

  it("temperature → 0 gives hard assignments: loss / scale → the mean margin of the best wrong match", () => {
    fc.assert(
      fc.property(batch(2), ({ images, texts, n }) => {
        const S = similarity(images, texts);
        let marginRows = 0;
        let marginCols = 0;
        for (let i = 0; i < n; i++) {
          marginRows += Math.max(...S[i]!) - S[i]![i]!;
          marginCols += Math.max(...S.map((r) => r[i]!)) - S[i]![i]!;
        }
        const want = (marginRows / n + marginCols / n) / 2;
        const scale = 1e7;
        const got = contrastiveLoss(images, texts, scale).item() / scale;
        expect(Math.abs(got - want)).toBeLessThan(1e-6);
      }),
      RUNS,
    );
  });

  it("with each image closest to its own text, loss → 0 as the temperature → 0", () => {
    fc.assert(
      fc.property(batch(2), ({ images }) => {
        // texts = images: the diagonal (cosine 1) beats every other pair
        const S = similarity(images, images);
        const gap = Math.min(...S.flatMap((r, i) => r.filter((_, j) => j !== i).map((v) => 1 - v)));
        fc.pre(gap > 1e-3);
        const hot = contrastiveLoss(images, images, 40 / gap).item();
        const warm = contrastiveLoss(images, images, 1).item();
        expect(hot).toBeLessThan(1e-12 + images.shape[0]! * Math.exp(-40));
        expect(hot).toBeLessThan(warm);
      }),
      RUNS,
    );
  });

  it("its gradients (features and a learned scale) equal central differences", () => {
    const g = new Generator(3);
    const images = l2Normalize(randn([4, 5], { dtype: "float64", generator: g }));
    const texts = l2Normalize(randn([4, 5], { dtype: "float64", generator: g }));
    const hard = l2Normalize(randn([8, 5], { dtype: "float64", generator: g }));
    const scale = new Tensor(Float64Array.of(2.3), []);
    A.gradcheck((i, t, s) => contrastiveLoss(i, t, A.exp(s)), [images, texts, scale], { name: "contrastiveLoss" });
    A.gradcheck((i, t, h, s) => contrastiveLoss(i, t, A.exp(s), { hardNegatives: h }), [images, texts, hard, scale], { name: "contrastiveLoss+hard" });
  });

  it("hard negatives are extra columns of the image → text logits only, and never lower the loss", () => {
    fc.assert(
      fc.property(batch(), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1000 }), ({ images, texts, n, d }, k, seed) => {
        const hard = l2Normalize(randn([n * k, d], { dtype: "float64", generator: new Generator(seed) }));
        const { logitsPerImage, logitsPerText } = getLogits(images, texts, 5, { hardNegatives: hard });
        expect(logitsPerImage.shape).toEqual([n, n + n * k]);
        expect(logitsPerText.shape).toEqual([n, n]);
        const labels = Array.from({ length: n }, (_, i) => i);
        const want = (crossEntropyByHand(rows(logitsPerImage.value), labels) + crossEntropyByHand(rows(logitsPerText.value), labels)) / 2;
        const withHard = contrastiveLoss(images, texts, 5, { hardNegatives: hard }).item();
        expect(withHard).toBeCloseTo(want, 10);
        expect(withHard).toBeGreaterThanOrEqual(contrastiveLoss(images, texts, 5).item() - 1e-12);
      }),
      RUNS,
    );
  });

  it("ground truth is the diagonal; mismatched batches are refused clearly", () => {
    expect(Array.from(getGroundTruth(4).contiguousData())).toEqual([0, 1, 2, 3]);
    expect(getGroundTruth(4).dtype).toBe("int32");
    const a = randn([3, 4]);
    expect(() => contrastiveLoss(a, randn([2, 4]), 1)).toThrow(/imageFeatures and textFeatures must both be \(N, D\).*\[3,4\] and \[2,4\]/);
    expect(() => contrastiveLoss(a, a, 1, { hardNegatives: randn([3, 5]) })).toThrow(/hardNegatives must be \(N·K, 4\)/);
  });
});

describe("sigLipLoss", () => {
  it("starts from SigLIP's t' = ln 10 and b = -10", () => {
    expect(Math.exp(SIGLIP_INIT_LOGIT_SCALE)).toBeCloseTo(10, 12);
    expect(SIGLIP_INIT_LOGIT_BIAS).toBe(-10);
    expect(rows(sigLipGroundTruth(2, 3))).toEqual([
      [1, -1, -1],
      [-1, 1, -1],
    ]);
  });

  it("equals -Σ logσ(label · (s·I@Tᵀ + b)) / N computed by hand", () => {
    fc.assert(
      fc.property(batch(), fc.double({ min: 0.5, max: 50, noNaN: true }), fc.double({ min: -15, max: 5, noNaN: true }), ({ images, texts, n }, scale, bias) => {
        const S = similarity(images, texts);
        let total = 0;
        S.forEach((r, i) => r.forEach((v, j) => (total += Math.log1p(Math.exp(-(i === j ? 1 : -1) * (scale * v + bias))))));
        expect(sigLipLoss(images, texts, scale, bias).item()).toBeCloseTo(total / n, 9);
      }),
      RUNS,
    );
  });

  it("a shared permutation of the pairs leaves it unchanged", () => {
    fc.assert(
      fc.property(
        batch(2).chain((b) => fc.tuple(fc.constant(b), fc.shuffledSubarray([...Array(b.n).keys()], { minLength: b.n, maxLength: b.n }))),
        ([{ images, texts }, order]) => {
          const before = sigLipLoss(images, texts, 10, -10).item();
          expect(sigLipLoss(permuteRows(images, order), permuteRows(texts, order), 10, -10).item()).toBeCloseTo(before, 12);
        },
      ),
      RUNS,
    );
  });

  it("sanity: a batch of one is -logσ(s·cos + b); matched features with a large scale and a centred bias give ≈ 0", () => {
    const g = new Generator(5);
    const one = l2Normalize(randn([1, 6], { dtype: "float64", generator: g }));
    const other = l2Normalize(randn([1, 6], { dtype: "float64", generator: g }));
    const cos = similarity(one, other)[0]![0]!;
    expect(sigLipLoss(one, other, 10, -10).item()).toBeCloseTo(Math.log1p(Math.exp(-(10 * cos - 10))), 12);
    // orthonormal pairs: positives at cos 1, negatives at 0: s = 100, b = -50 separates them by 50 logits
    const eye = new Tensor(Float64Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0)), [4, 4]);
    expect(sigLipLoss(eye, eye, 100, -50).item()).toBeLessThan(1e-20 + 4 * 4 * Math.exp(-50));
    // the init bias makes every negative cheap from the start: the loss is dominated by the N positives
    const init = sigLipLoss(eye, eye, 10, -10).item();
    expect(init).toBeCloseTo((4 * Math.log1p(Math.exp(0)) + 12 * Math.log1p(Math.exp(-10))) / 4, 12);
  });

  it("its gradients equal central differences; hard negatives add -1 columns", () => {
    const g = new Generator(9);
    const images = l2Normalize(randn([3, 4], { dtype: "float64", generator: g }));
    const texts = l2Normalize(randn([3, 4], { dtype: "float64", generator: g }));
    const hard = l2Normalize(randn([3, 4], { dtype: "float64", generator: g }));
    const t = new Tensor(Float64Array.of(Math.log(10)), []);
    const b = new Tensor(Float64Array.of(-10), []);
    A.gradcheck((i, tx, s, bias) => sigLipLoss(i, tx, A.exp(s), bias), [images, texts, t, b], { name: "sigLipLoss" });
    const plain = sigLipLoss(images, texts, 10, -10).item();
    const withHard = sigLipLoss(images, texts, 10, -10, { hardNegatives: hard }).item();
    const extra = similarity(images, hard).flat().reduce((s, v) => s + Math.log1p(Math.exp(10 * v - 10)), 0) / 3;
    expect(withHard).toBeCloseTo(plain + extra, 12);
  });
});
