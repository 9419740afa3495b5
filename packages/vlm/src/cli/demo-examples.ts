/**
 * The pictures of the demo's report, from the test-split evaluation: which test emojis to show
 * (base emojis only, spread over the split, so sixteen skin tones of one hand do not fill the
 * heatmap), the similarity matrix of a test batch, zero-shot predictions and text→image
 * searches. The shown emojis are rasterised again at 64 px so the report is crisp whatever
 * resolution the model sees.
 */

import { matmul, softmax, type Tensor } from "@duet/tensor";
import { rasterizeOpenMoji } from "../data/index.js";
import { rgbImage } from "../image/index.js";
import { pngDataUri } from "../report/png.js";
import type { RetrievalExample, TestReport, ZeroShotExample } from "../report/report.js";
import type { OpenMojiEvalSet } from "../eval/index.js";

const DISPLAY_SIZE = 64;

/** `count` positions spread evenly over [0, n): k·n/count, rounded down, distinct. */
export function spread(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, k) => Math.floor((k * n) / count));
}

function rowsOf(t: Tensor): number[][] {
  const [n, d] = t.shape as [number, number];
  const data = t.contiguousData();
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
}

export interface ReportExamples {
  similarity: TestReport["similarity"];
  zeroShotExamples: ZeroShotExample[];
  retrievalExamples: RetrievalExample[];
}

/** The evaluation's outputs the pictures come from (evaluateHeldOut's, on an OpenMoji split). */
export interface ExampleFeatures {
  imageFeatures: Tensor;
  textFeatures: Tensor;
  /** Zero-shot logits (images, classes). */
  zeroShotLogits: Tensor;
}

export async function buildExamples(set: OpenMojiEvalSet, evaluation: ExampleFeatures, counts = { similarity: 16, zeroShot: 12, retrieval: 6 }): Promise<ReportExamples> {
  const items = set.indices.map((i) => set.openMoji.items[i]!);
  // positions (in the evaluation set) of base emojis, so examples differ in more than skin tone
  const bases = items.map((item, k) => (item.skintone === "" ? k : -1)).filter((k) => k >= 0);
  const pool = bases.length >= counts.similarity ? bases : items.map((_, k) => k);
  const pick = (count: number, offset: number) => spread(pool.length, count).map((p) => pool[(p + offset) % pool.length]!);
  const similarityRows = pick(counts.similarity, 0);
  const zeroShotRows = pick(counts.zeroShot, 1);
  const queryRows = pick(counts.retrieval, 2);

  const imageRows = rowsOf(evaluation.imageFeatures);
  const textRows = rowsOf(evaluation.textFeatures);
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

  // text→image: each query against every test image
  const queryScores = rowsOf(matmul(evaluation.textFeatures, evaluation.imageFeatures.transpose()));
  const retrievalPlans = queryRows.map((q) => {
    const scores = queryScores[q]!;
    const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
    return { q, scores, top: order.slice(0, 5), truthRank: order.indexOf(q) + 1 };
  });

  // every emoji shown, rasterised once at display size
  const shown = [...new Set([...similarityRows, ...zeroShotRows, ...retrievalPlans.flatMap((p) => p.top)])];
  const pixels = await rasterizeOpenMoji(shown.map((k) => set.hexcodes[k]!), DISPLAY_SIZE);
  const bytes = DISPLAY_SIZE * DISPLAY_SIZE * 3;
  const uri = new Map(shown.map((k, i) => [k, pngDataUri(rgbImage(DISPLAY_SIZE, DISPLAY_SIZE, pixels.subarray(i * bytes, (i + 1) * bytes)))]));

  const similarity: TestReport["similarity"] = {
    images: similarityRows.map((k) => uri.get(k)!),
    captions: similarityRows.map((k) => set.captions[k]!),
    matrix: similarityRows.map((i) => similarityRows.map((j) => dot(imageRows[i]!, textRows[j]!))),
  };

  const probabilities = rowsOf(softmax(evaluation.zeroShotLogits, -1));
  const zeroShotExamples = zeroShotRows.map((k) => {
    const p = probabilities[k]!;
    const top = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b).slice(0, 5);
    return {
      image: uri.get(k)!,
      annotation: set.captions[k]!,
      truth: set.classes[set.labels[k]!]!,
      top: top.map((c) => ({ label: set.classes[c]!, probability: p[c]! })),
    };
  });

  const retrievalExamples = retrievalPlans.map(({ q, scores, top, truthRank }) => ({
    query: set.captions[q]!,
    truthRank,
    results: top.map((k) => ({ image: uri.get(k)!, annotation: set.captions[k]!, score: scores[k]!, correct: k === q })),
  }));
  return { similarity, zeroShotExamples, retrievalExamples };
}
