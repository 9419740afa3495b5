/**
 * Zero-shot classification, as open_clip's build_zero_shot_classifier (zero_shot_classifier.py)
 * and open_clip_train's zero_shot.py: no classifier is trained; each class is described in
 * words, and an image gets the class whose description it is closest to.
 *
 *   for class c, with T templates ("a photo of a {}.", "an emoji of {}.", ...):
 *     e_ct = normalize(encodeText(template_t.format(name_c)))      (T, embed)
 *     w_c  = normalize(mean_t e_ct)                                 the class embedding
 *   W = [w_0 … w_{C-1}]                                             (embed, C), open_clip's layout
 *   logits = 100 · normalize(encodeImage(images)) @ W               (N, C)
 *   top-k accuracy: the true class is among the k largest logits
 *
 * Averaging several prompts smooths out the quirks of any one phrasing (CLIP reports a few
 * points of ImageNet accuracy from it); re-normalising keeps every class on the sphere.
 */

import { noGrad } from "@duet/autograd";
import { concat, fmtShape, l2Normalize, matmul, mean, mul, type Tensor } from "@duet/tensor";
import type { CLIP } from "../model/clip.js";
import { fillTemplate } from "../data/prompt-template.js";
import { ModelError } from "../model/errors.js";
import { embedImages, embedTexts } from "./embed.js";

/** A template holds "{}" where the class name goes, or is a function of the name. */
export type PromptTemplate = string | ((classname: string) => string);

export interface ZeroShotClassifierOptions {
  /** Classes embedded per forward pass (default 10, as open_clip). */
  classesPerBatch?: number;
}

/** The prompt for one class: a function template called, or every "{}" of a string replaced by the name. */
export function promptFor(template: PromptTemplate, classname: string): string {
  if (typeof template === "function") return template(classname);
  if (!template.includes("{}")) throw new ModelError("buildZeroShotClassifier", `template ${JSON.stringify(template)} has no "{}" for the class name`);
  return fillTemplate(template, classname);
}

/**
 * The class embeddings (embed, C): for each class, the re-normalised mean of its normalised
 * prompt embeddings. `tokenize` maps texts to the model's int32 tokens.
 */
export function buildZeroShotClassifier(
  model: CLIP,
  tokenize: (texts: string[]) => Tensor,
  classnames: readonly string[],
  templates: readonly PromptTemplate[],
  options: ZeroShotClassifierOptions = {},
): Tensor {
  if (classnames.length === 0) throw new ModelError("buildZeroShotClassifier", "classnames is empty");
  if (templates.length === 0) throw new ModelError("buildZeroShotClassifier", "templates is empty");
  const perBatch = options.classesPerBatch ?? 10;
  if (!(Number.isInteger(perBatch) && perBatch > 0)) throw new ModelError("buildZeroShotClassifier", `classesPerBatch must be a positive integer, got ${perBatch}`);
  const T = templates.length;
  return noGrad(() => {
    const parts: Tensor[] = [];
    for (let start = 0; start < classnames.length; start += perBatch) {
      const names = classnames.slice(start, start + perBatch);
      const texts = names.flatMap((name) => templates.map((t) => promptFor(t, name)));
      const features = embedTexts(model, tokenize(texts), { batchSize: texts.length }); // (c·T, embed), normalised
      const perClass = mean(features.reshape([names.length, T, features.shape[1]!]), 1); // (c, embed)
      parts.push(l2Normalize(perClass, -1));
    }
    return (parts.length === 1 ? parts[0]! : concat(parts, 0)).transpose(0, 1).contiguous(); // (embed, C)
  });
}

/** logits = scale · imageFeatures @ classifier: (N, C). open_clip_train uses scale 100. */
export function zeroShotLogits(imageFeatures: Tensor, classifier: Tensor, scale = 100): Tensor {
  if (imageFeatures.ndim !== 2 || classifier.ndim !== 2 || imageFeatures.shape[1] !== classifier.shape[0]) {
    throw new ModelError("zeroShotLogits", `imageFeatures (N, D) and classifier (D, C) must share D, got ${fmtShape(imageFeatures.shape)} and ${fmtShape(classifier.shape)}`);
  }
  return mul(matmul(imageFeatures, classifier), scale);
}

/**
 * For each k, how many rows have their target among the k largest logits (ties broken by the
 * lower class index, as a stable sort). open_clip_train's `accuracy` returns these counts.
 */
export function topKCorrect(logits: Tensor, targets: ArrayLike<number>, ks: readonly number[] = [1, 5]): number[] {
  const [N, C] = logits.shape as [number, number];
  if (logits.ndim !== 2 || targets.length !== N) throw new ModelError("topKCorrect", `logits (N, C) and N targets expected, got ${fmtShape(logits.shape)} and ${targets.length} targets`);
  const data = logits.contiguousData();
  const correct = ks.map(() => 0);
  for (let i = 0; i < N; i++) {
    const t = targets[i]!;
    if (!(Number.isInteger(t) && t >= 0 && t < C)) throw new ModelError("topKCorrect", `target ${t} of row ${i} is not a class index in [0, ${C - 1}]`);
    const s = data[i * C + t]!;
    let rank = 0; // classes ranked above the target
    for (let c = 0; c < C; c++) {
      const v = data[i * C + c]!;
      if (v > s || (v === s && c < t)) rank++;
    }
    ks.forEach((k, j) => {
      if (rank < k) correct[j]!++;
    });
  }
  return correct;
}

export interface ZeroShotResult {
  top1: number;
  top5: number;
  n: number;
}

/** Top-1 / top-5 accuracy (fractions) of a classifier on images (N, 3, S, S) with their labels. */
export function evaluateZeroShot(model: CLIP, classifier: Tensor, images: Tensor, labels: ArrayLike<number>, options: { batchSize?: number } = {}): ZeroShotResult {
  const features = embedImages(model, images, options);
  const [top1, top5] = topKCorrect(zeroShotLogits(features, classifier), labels, [1, 5]) as [number, number];
  const n = labels.length;
  return { top1: top1 / n, top5: top5 / n, n };
}
