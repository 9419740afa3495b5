/**
 * Evaluation: retrieval metrics with open_clip's names and semantics (get_clip_metrics in
 * open_clip_train/train.py: 0-based preds, mean and floor-median ranks + 1, R@k = mean(pred < k))
 * on hand-built similarity matrices and against a direct port of open_clip's argsort code;
 * chunking changes nothing; zero-shot classification on a hand-built case.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Variable } from "../../packages/autograd/src/index.js";
import { eye, fromArray, Generator, l2Normalize, matmul, randn, Tensor } from "../../packages/tensor/src/index.js";
import {
  buildZeroShotClassifier,
  CLIP,
  embedImages,
  embedTexts,
  evaluateZeroShot,
  parseModelConfig,
  promptFor,
  retrievalMetrics,
  tokenize,
  topKCorrect,
  zeroShotLogits,
} from "../../packages/vlm/src/index.js";

/** open_clip's get_clip_metrics, line for line (argsort descending, stable on ties). */
function openClipMetrics(imageFeatures: Tensor, textFeatures: Tensor): Record<string, number> {
  const S = matmul(imageFeatures, textFeatures.transpose(0, 1)).toArray() as number[][];
  const St = S[0]!.map((_, j) => S.map((r) => r[j]!));
  const out: Record<string, number> = {};
  for (const [name, logit] of [["image_to_text", S], ["text_to_image", St]] as const) {
    const preds = logit.map((row, i) => {
      const ranking = row.map((_, j) => j).sort((a, b) => row[b]! - row[a]! || a - b);
      return ranking.indexOf(i);
    });
    const sorted = [...preds].sort((a, b) => a - b);
    const n = sorted.length;
    const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
    out[`${name}_mean_rank`] = preds.reduce((s, p) => s + p, 0) / n + 1;
    out[`${name}_median_rank`] = Math.floor(median) + 1;
    for (const k of [1, 5, 10]) out[`${name}_R@${k}`] = preds.filter((p) => p < k).length / n;
  }
  return out;
}

describe("retrievalMetrics", () => {
  it("a hand-built similarity matrix: ranks, R@k, mean and median rank", () => {
    // images are one-hot, so S[i][j] = text j's i-th coordinate: texts are the columns of S
    const S = [
      [0.9, 0.1, 0.8],
      [0.5, 0.4, 0.6],
      [0.1, 0.7, 0.2],
    ];
    const texts = fromArray(S[0]!.map((_, j) => S.map((r) => r[j]!)), { dtype: "float64" });
    const m = retrievalMetrics(eye(3, 3, { dtype: "float64" }), texts);
    // image → text preds [0, 2, 1]; text → image preds [0, 1, 2]
    expect(m).toEqual({
      "image_to_text_mean_rank": 2,
      "image_to_text_median_rank": 2,
      "image_to_text_R@1": 1 / 3,
      "image_to_text_R@5": 1,
      "image_to_text_R@10": 1,
      "text_to_image_mean_rank": 2,
      "text_to_image_median_rank": 2,
      "text_to_image_R@1": 1 / 3,
      "text_to_image_R@5": 1,
      "text_to_image_R@10": 1,
    });
  });

  it("perfect retrieval: every R@k is 1 and both ranks are 1", () => {
    const m = retrievalMetrics(eye(12, 12), eye(12, 12));
    for (const [k, v] of Object.entries(m)) expect(v, k).toBe(1);
  });

  it("an even count takes numpy's median (mean of the middle two), floored, + 1", () => {
    // 4 images, image i's caption is ranked i-th (preds 0, 1, 2, 3): median 1.5 → floor 1 → 2
    const images = eye(4, 4, { dtype: "float64" });
    const texts = fromArray(
      [
        [1, 0, 0, 0],
        [0.9, 0.8, 0, 0],
        [0.9, 0.9, 0.7, 0],
        [0.9, 0.9, 0.9, 0.6],
      ],
      { dtype: "float64" },
    ).transpose(0, 1);
    const m = retrievalMetrics(images, texts);
    expect(m["image_to_text_median_rank"]).toBe(2);
    expect(m["image_to_text_mean_rank"]).toBe(2.5);
    expect(m["image_to_text_R@1"]).toBe(0.25);
  });

  it("equals open_clip's argsort computation on random features, whatever the chunk size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 0, max: 1 << 30 }), fc.integer({ min: 1, max: 40 }), (n, d, seed, chunkSize) => {
        const g = new Generator(seed);
        const images = l2Normalize(randn([n, d], { dtype: "float64", generator: g }));
        const texts = l2Normalize(randn([n, d], { dtype: "float64", generator: g }));
        const want = openClipMetrics(images, texts);
        expect(retrievalMetrics(images, texts, { chunkSize })).toEqual(want);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it("ties rank as a stable sort: the lower index first", () => {
    const images = fromArray([[1, 0], [1, 0]], { dtype: "float64" });
    const texts = fromArray([[1, 0], [1, 0]], { dtype: "float64" });
    const m = retrievalMetrics(images, texts); // image 1's caption (index 1) ties with text 0, which goes first
    expect(m["image_to_text_R@1"]).toBe(0.5);
    expect(m).toEqual(openClipMetrics(images, texts));
  });

  it("several captions per image: image → text counts the best-ranked caption", () => {
    const images = eye(2, 2, { dtype: "float64" });
    // texts 0, 1 describe image 0; text 2 describes image 1
    const texts = fromArray([[0.2, 0.1], [0.9, 0.0], [0.5, 0.3]], { dtype: "float64" });
    const m = retrievalMetrics(images, texts, { textImage: [0, 0, 1], chunkSize: 1 });
    // image 0: its best caption (text 1, 0.9) is first → pred 0; image 1: text 2 (0.3) is first → pred 0
    expect(m["image_to_text_R@1"]).toBe(1);
    // text 0 → image 0 (0.2 vs 0.1) right; text 1 right; text 2 → image 0 (0.5) beats image 1 (0.3): pred 1
    expect(m["text_to_image_R@1"]).toBe(2 / 3);
    expect(m["text_to_image_mean_rank"]).toBeCloseTo(4 / 3, 12);
  });

  it("refuses mismatched inputs with a clear message", () => {
    expect(() => retrievalMetrics(randn([3, 4]), randn([3, 5]))).toThrow(/share D, got \[3,4\] and \[3,5\]/);
    expect(() => retrievalMetrics(randn([3, 4]), randn([2, 4]))).toThrow(/3 images but 2 texts: pass textImage/);
    expect(() => retrievalMetrics(randn([3, 4]), randn([2, 4]), { textImage: [0, 1, 2] })).toThrow(/textImage must name an image for each of the 2 texts/);
    expect(() => retrievalMetrics(randn([3, 4]), randn([2, 4]), { textImage: [0, 1] })).toThrow(/image 2 has no text/);
    expect(() => retrievalMetrics(randn([3, 4]), randn([3, 4]), { textImage: [0, 1, 7] })).toThrow(/textImage\[2\] = 7/);
    expect(() => retrievalMetrics(randn([3, 4]), randn([3, 4]), { chunkSize: 0 })).toThrow(/chunkSize/);
  });
});

/** A stand-in CLIP whose text tower maps a prompt's first token to a fixed vector. */
function stubModel(textVectors: Map<number, number[]>, imageFeatures?: Tensor): CLIP {
  return {
    encodeText(tokens: Tensor, options: { normalize?: boolean } = {}) {
      const ids = tokens.toArray() as number[][];
      const f = fromArray(ids.map((row) => textVectors.get(row[1]!)!), { dtype: "float64" });
      return new Variable(options.normalize ? l2Normalize(f) : f);
    },
    encodeImage(images: Tensor, options: { normalize?: boolean } = {}) {
      const f = imageFeatures!.slice(0, 0, images.shape[0]);
      return new Variable(options.normalize ? l2Normalize(f) : f);
    },
  } as unknown as CLIP;
}

describe("zero-shot classification", () => {
  it("the class embedding is the re-normalised mean of its normalised prompt embeddings", () => {
    const tokenizeStub = (texts: string[]) => new Tensor(Int32Array.from(texts.flatMap((t) => [0, t.length])), [texts.length, 2]);
    // prompt lengths: "a cat" 5, "the cat" 7, "a dog" 5 ... give each length its own vector
    const vectors = new Map<number, number[]>([
      [5, [3, 0, 0]], // "a cat" / "a dog"  (normalised: [1,0,0])
      [7, [0, 2, 0]], // "the cat" / "the dog" ([0,1,0])
      [6, [0, 0, 5]], // "a bird" ([0,0,1])
      [8, [0, 0, 1]], // "the bird"
    ]);
    const model = stubModel(vectors);
    const W = buildZeroShotClassifier(model, tokenizeStub, ["cat", "dog", "bird"], ["a {}", "the {}"], { classesPerBatch: 2 });
    expect(W.shape).toEqual([3, 3]);
    const r = Math.SQRT1_2;
    const want = [
      [r, r, 0],
      [r, r, 0],
      [0, 0, 1],
    ]; // rows = classes; W is (embed, C)
    const got = W.transpose(0, 1).toArray() as number[][];
    got.forEach((row, c) => row.forEach((v, k) => expect(v, `class ${c} dim ${k}`).toBeCloseTo(want[c]![k]!, 12)));
  });

  it("top-1 / top-5 on a hand-built case", () => {
    // 3 classes along the axes; image 0 is a cat, 1 a dog, 2 between dog and bird, labelled bird
    const classifier = eye(3, 3, { dtype: "float64" });
    const images = fromArray([[1, 0.1, 0], [0, 1, 0.2], [0, 0.6, 0.5]], { dtype: "float64" });
    const logits = zeroShotLogits(l2Normalize(images), classifier);
    expect(topKCorrect(logits, [0, 1, 2], [1, 2, 5])).toEqual([2, 3, 3]);
    const model = stubModel(new Map(), images);
    expect(evaluateZeroShot(model, classifier, new Tensor(new Float32Array(3), [3, 1, 1, 1]), [0, 1, 2], { batchSize: 2 })).toEqual({ top1: 2 / 3, top5: 1, n: 3 });
    expect(() => topKCorrect(logits, [0, 1, 3])).toThrow(/target 3 of row 2 is not a class index in \[0, 2\]/);
  });

  it("templates need {} (or are functions)", () => {
    expect(promptFor("a photo of a {}.", "cat")).toBe("a photo of a cat.");
    expect(promptFor((c) => `itap of a ${c}`, "dog")).toBe("itap of a dog");
    expect(() => promptFor("a photo", "cat")).toThrow(/has no "\{\}"/);
  });

  it("with a real (tiny) model, batching changes nothing and features are normalised", () => {
    const config = parseModelConfig({
      embed_dim: 8,
      vision_cfg: { image_size: 16, layers: 1, width: 16, patch_size: 8, head_width: 8 },
      text_cfg: { context_length: 12, vocab_size: 49408, width: 8, heads: 2, layers: 1 },
    });
    const model = new CLIP(config, { generator: new Generator(1) });
    const images = randn([5, 3, 16, 16], { generator: new Generator(2) });
    const all = embedImages(model, images, { batchSize: 5 });
    const batched = embedImages(model, images, { batchSize: 2 });
    expect(Array.from(batched.contiguousData())).toEqual(Array.from(all.contiguousData()));
    const tokens = tokenize(["a cat", "a dog", "a bird"], 12);
    const texts = embedTexts(model, tokens, { batchSize: 2 });
    const norms = (matmul(texts, texts.transpose(0, 1)).toArray() as number[][]).map((r, i) => r[i]!);
    norms.forEach((n) => expect(n).toBeCloseTo(1, 5));
    const W = buildZeroShotClassifier(model, (t) => tokenize(t, 12), ["cat", "dog"], ["a {}", "a photo of a {}"]);
    expect(W.shape).toEqual([8, 2]);
  });
});
