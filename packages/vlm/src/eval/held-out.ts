/**
 * Evaluation on held-out data — the one evaluator behind the validation curve during training
 * (OpenMoji's val split or `--val-data`), the demo's test numbers, `duet eval`, the report and
 * tools/. What it measures depends on what the data has:
 *
 *   captions   retrieval: every caption against the distinct images, both ways (open_clip's
 *              names, retrieval.ts); several captions may share an image
 *              validation loss: the training loss (InfoNCE or SigLIP, with the model's logit
 *              scale and bias) over consecutive batches of `lossBatchSize` (image, caption)
 *              pairs in the data's order, averaged over pairs. Its negatives are in-batch, so
 *              it depends on the batch size: chance is about ln B for InfoNCE
 *   classes    zero-shot classification: each image against every class name through the
 *              prompt templates (zero-shot.ts)
 *
 * Chance levels come with every metric: R@k = k / images (a uniform ranking of the images for
 * a caption; the same for image→text with one caption per image); top-k = k / classes.
 *
 * The result is a flat record (straight into a JSONL line or metrics.json) plus the features
 * and zero-shot logits, for a report's examples.
 */

import { noGrad } from "@duet/autograd";
import { indexSelect, Tensor } from "@duet/tensor";
import type { RgbImage } from "../image/image.js";
import { lossOnFeatures, type LossKind } from "../loss/model-loss.js";
import { ModelError } from "../model/errors.js";
import { embedImageStream, embedTextList, type ProgressFactory } from "./embed.js";
import type { Encoder } from "./encoder.js";
import { RETRIEVAL_KS, retrievalMetrics, type RetrievalMetrics } from "./retrieval.js";
import { buildZeroShotClassifier, topKCorrect, zeroShotLogits } from "./zero-shot.js";

/** Held-out images, with captions (retrieval, validation loss), classes (zero-shot), or both. */
export interface HeldOutData {
  /** What it is, for logs: "openmoji:val", "val.csv". */
  readonly name: string;
  /** Distinct images. */
  readonly images: number;
  /** Image i, decoded (preprocessed by the encoder). */
  image(i: number): RgbImage | Promise<RgbImage>;
  /** Captions, each with the index of its image; empty for classification-only data. */
  readonly captions: readonly string[];
  readonly captionImage: ArrayLike<number>;
  /** Zero-shot classes: a label per image, the class names and the prompt templates. */
  readonly zeroShot?: { readonly classes: readonly string[]; readonly labels: ArrayLike<number>; readonly templates: readonly string[] };
}

export interface HeldOutOptions {
  /** The validation loss's kind; null: no loss (default null). */
  loss?: LossKind | null;
  /** Pairs per validation-loss batch (default 128, or all pairs if fewer). */
  lossBatchSize?: number;
  /** Images per forward pass (default 64). */
  batchSize?: number;
  /** Zero-shot templates instead of the data's. */
  templates?: readonly string[];
  onProgress?: ProgressFactory;
}

/** Chance levels of retrieval over `images` images, one right answer each. */
export function chanceRecall(images: number, k: number): number {
  return Math.min(k, images) / images;
}

export type HeldOutRecord = {
  data: string;
  images: number;
  texts: number;
  /** The validation loss, when asked for and the data has captions. */
  val_loss?: number;
  zeroshot_top1?: number;
  zeroshot_top5?: number;
  zeroshot_chance_top1?: number;
  zeroshot_chance_top5?: number;
  classes?: number;
  "chance_R@1"?: number;
  "chance_R@5"?: number;
  "chance_R@10"?: number;
} & Partial<RetrievalMetrics>;

export interface HeldOutResult {
  record: HeldOutRecord;
  /** Normalised image features (images, D). */
  imageFeatures: Tensor;
  /** Normalised caption features (captions, D), or null without captions. */
  textFeatures: Tensor | null;
  /** Zero-shot logits (images, classes), or null without classes. */
  zeroShotLogits: Tensor | null;
}

/** `duet eval zeroshot`'s and metrics.json's zero-shot block. */
export interface ZeroShotSummary {
  top1: number;
  top5: number;
  /** Images. */
  n: number;
  classes: number;
  chance_top1: number;
  chance_top5: number;
}

/** `duet eval retrieval`'s and metrics.json's retrieval block: open_clip's metrics, chance levels, sizes. */
export type RetrievalSummary = RetrievalMetrics & { "chance_R@1": number; "chance_R@5": number; "chance_R@10": number; n_images: number; n_texts: number };

/** The zero-shot part of a record (which must have one). */
export function zeroShotSummary(r: HeldOutRecord): ZeroShotSummary {
  if (r.zeroshot_top1 === undefined) throw new ModelError("zeroShotSummary", `the evaluation of ${r.data} has no zero-shot metrics (the data has no classes)`);
  return { top1: r.zeroshot_top1, top5: r.zeroshot_top5!, n: r.images, classes: r.classes!, chance_top1: r.zeroshot_chance_top1!, chance_top5: r.zeroshot_chance_top5! };
}

/** The retrieval part of a record (which must have one). */
export function retrievalSummary(r: HeldOutRecord): RetrievalSummary {
  if (r["text_to_image_R@1"] === undefined) throw new ModelError("retrievalSummary", `the evaluation of ${r.data} has no retrieval metrics (the data has no captions)`);
  const out = {} as Record<string, number>;
  for (const way of ["image_to_text", "text_to_image"] as const) {
    for (const k of RETRIEVAL_KS) out[`${way}_R@${k}`] = r[`${way}_R@${k}`]!;
    out[`${way}_mean_rank`] = r[`${way}_mean_rank`]!;
    out[`${way}_median_rank`] = r[`${way}_median_rank`]!;
  }
  for (const k of RETRIEVAL_KS) out[`chance_R@${k}`] = r[`chance_R@${k}`]!;
  return { ...(out as RetrievalSummary), n_images: r.images, n_texts: r.texts };
}

/** The mean loss over consecutive batches of caption rows (a last batch of one row is left out: it has no negative). */
export function validationLoss(encoder: Encoder, imageFeatures: Tensor, textFeatures: Tensor, captionImage: ArrayLike<number>, kind: LossKind, batchSize: number): number {
  const n = textFeatures.shape[0]!;
  const size = Math.max(2, Math.min(batchSize, n));
  let sum = 0;
  let rows = 0;
  noGrad(() => {
    for (let a = 0; a + 1 < n; a += size) {
      const b = Math.min(n, a + size);
      if (b - a < 2) break;
      const index = new Tensor(Int32Array.from({ length: b - a }, (_, k) => captionImage[a + k]!), [b - a]);
      const images = indexSelect(imageFeatures, 0, index);
      const loss = lossOnFeatures(encoder.model, images, textFeatures.slice(0, a, b), kind).item();
      sum += loss * (b - a);
      rows += b - a;
    }
  });
  return rows === 0 ? NaN : sum / rows;
}

/** Evaluates `encoder` on held-out data (see the file comment); the model is in eval mode meanwhile. */
export async function evaluateHeldOut(encoder: Encoder, data: HeldOutData, options: HeldOutOptions = {}): Promise<HeldOutResult> {
  const op = "evaluateHeldOut";
  if (data.images === 0) throw new ModelError(op, `${data.name} holds no images`);
  if (data.captions.length === 0 && data.zeroShot === undefined) throw new ModelError(op, `${data.name} has neither captions nor classes: nothing to evaluate`);
  const { model } = encoder;
  const wasTraining = model.training;
  model.eval();
  try {
    const batchSize = options.batchSize ?? 64;
    const imageFeatures = await embedImageStream(model, data.images, async (i) => encoder.preprocessImage(await data.image(i)), { batchSize, onProgress: options.onProgress });
    const record: HeldOutRecord = { data: data.name, images: data.images, texts: data.captions.length };
    let textFeatures: Tensor | null = null;
    let logits: Tensor | null = null;
    if (data.zeroShot !== undefined) {
      const { classes, labels } = data.zeroShot;
      const classifier = buildZeroShotClassifier(model, (texts) => encoder.tokenize(texts), classes, options.templates ?? data.zeroShot.templates);
      logits = zeroShotLogits(imageFeatures, classifier);
      const [top1, top5] = topKCorrect(logits, labels, [1, 5]) as [number, number];
      const C = classes.length;
      Object.assign(record, {
        zeroshot_top1: top1 / data.images,
        zeroshot_top5: top5 / data.images,
        zeroshot_chance_top1: 1 / C,
        zeroshot_chance_top5: Math.min(5, C) / C,
        classes: C,
      });
    }
    if (data.captions.length > 0) {
      textFeatures = embedTextList(encoder, data.captions);
      Object.assign(record, retrievalMetrics(imageFeatures, textFeatures, { textImage: data.captionImage }));
      for (const k of RETRIEVAL_KS) record[`chance_R@${k}`] = chanceRecall(data.images, k);
      if (options.loss !== undefined && options.loss !== null) {
        record.val_loss = validationLoss(encoder, imageFeatures, textFeatures, data.captionImage, options.loss, options.lossBatchSize ?? 128);
      }
    }
    return { record, imageFeatures, textFeatures, zeroShotLogits: logits };
  } finally {
    model.train(wasTraining);
  }
}
