/**
 * What a model learned, measured on an OpenMoji split it never trained on:
 *
 *   zero-shot classification   the split's emojis against every subgroup of the dataset, as
 *                              words ("animal mammal"), averaged over ZERO_SHOT_TEMPLATES
 *                              (open_clip's zero-shot protocol, eval/zero-shot.ts). No caption
 *                              ever named a subgroup, so this is the concept, not a label.
 *                              Chance: top-k = k / classes.
 *   retrieval                  one text per emoji, its annotation ("grinning face"), against
 *                              the split's images, both ways (open_clip's metric names).
 *                              Chance: R@k = k / images.
 *
 * A flat record, so it goes straight into a JSONL line or metrics.json:
 *   { split, images, classes, zeroshot_top1, zeroshot_top5, zeroshot_top1_chance,
 *     zeroshot_top5_chance, image_to_text_R@1 … text_to_image_median_rank,
 *     retrieval_R@1_chance, retrieval_R@5_chance, retrieval_R@10_chance }
 */

import { stack } from "@duet/tensor";
import type { OpenMoji } from "../data/openmoji/dataset.js";
import { ZERO_SHOT_TEMPLATES } from "../data/openmoji/classes.js";
import type { SplitName } from "../data/openmoji/split.js";
import { embedImages, embedTexts } from "../eval/embed.js";
import { retrievalMetrics, type RetrievalMetrics } from "../eval/retrieval.js";
import { buildZeroShotClassifier, evaluateZeroShot } from "../eval/zero-shot.js";
import type { CLIP } from "../model/clip.js";
import type { Tokenizer } from "../tokenizer/bpe.js";
import { TrainError } from "./errors.js";

export type OpenMojiEvaluation = {
  split: SplitName | "all";
  images: number;
  classes: number;
  zeroshot_top1: number;
  zeroshot_top5: number;
  zeroshot_top1_chance: number;
  zeroshot_top5_chance: number;
  "retrieval_R@1_chance": number;
  "retrieval_R@5_chance": number;
  "retrieval_R@10_chance": number;
} & RetrievalMetrics;

export interface EvaluateOptions {
  /** Tokens per text (default: the model's context length). */
  contextLength?: number;
  /** Zero-shot prompt templates with "{}" (default ZERO_SHOT_TEMPLATES). */
  templates?: readonly string[];
}

/** Zero-shot and retrieval metrics of `model` on an OpenMoji split (see the file comment). */
export function evaluateOpenMoji(model: CLIP, tokenizer: Tokenizer, openMoji: OpenMoji, split: SplitName | "all", options: EvaluateOptions = {}): OpenMojiEvaluation {
  const indices = split === "all" ? openMoji.items.map((_, i) => i) : openMoji.indicesOf(split);
  if (indices.length === 0) throw new TrainError("evaluateOpenMoji", `the ${split} split has no emojis among the ${openMoji.length} loaded`);
  const contextLength = options.contextLength ?? model.config.text_cfg.context_length;
  const tokenize = (texts: readonly string[]) => tokenizer.tokenize(texts, contextLength);
  const { mean, std } = model.config.duet.preprocess;
  const wasTraining = model.training;
  model.eval();
  try {
    const images = stack(indices.map((i) => openMoji.imageTensor(i, { mean, std })));
    const classes = openMoji.zeroShot.classes;
    const classifier = buildZeroShotClassifier(model, (texts) => tokenize(texts), classes, options.templates ?? ZERO_SHOT_TEMPLATES);
    const zeroShot = evaluateZeroShot(model, classifier, images, indices.map((i) => openMoji.zeroShot.labels[i]!));
    const imageFeatures = embedImages(model, images);
    const textFeatures = embedTexts(model, tokenize(indices.map((i) => openMoji.items[i]!.annotation)));
    const n = indices.length;
    const C = classes.length;
    return {
      split,
      images: n,
      classes: C,
      zeroshot_top1: zeroShot.top1,
      zeroshot_top5: zeroShot.top5,
      zeroshot_top1_chance: 1 / C,
      zeroshot_top5_chance: Math.min(1, 5 / C),
      ...retrievalMetrics(imageFeatures, textFeatures),
      "retrieval_R@1_chance": 1 / n,
      "retrieval_R@5_chance": Math.min(1, 5 / n),
      "retrieval_R@10_chance": Math.min(1, 10 / n),
    };
  } finally {
    model.train(wasTraining);
  }
}
