/**
 * Evaluation as the CLI and the demo run it: embed images and texts in batches (with
 * progress), then zero-shot classification and retrieval with open_clip's definitions
 * (../eval). Also the OpenMoji evaluation set: a split's emojis at the checkpoint's resolution,
 * their annotations as retrieval captions, and OpenMoji's subgroups as zero-shot classes.
 */

import { concat, stack, type Tensor } from "@duet/tensor";
import { openMojiClasses, openMojiItems, splitOpenMoji, loadOpenMoji, ZERO_SHOT_TEMPLATES, type OpenMoji, type SplitName } from "../data/index.js";
import { buildZeroShotClassifier, embedImages, embedTexts, retrievalMetrics, topKCorrect, zeroShotLogits, type RetrievalMetrics } from "../eval/index.js";
import type { LoadedCheckpoint } from "../model/index.js";
import { ModelError } from "../model/errors.js";
import type { Io } from "./io.js";
import { startProgress } from "./progress.js";

/** Tokens for the checkpoint, refusing ids its embedding table does not have. */
export function tokenizeFor(checkpoint: LoadedCheckpoint, texts: readonly string[]): Tensor {
  const tokens = checkpoint.tokenize(texts);
  const vocab = checkpoint.config.text_cfg.vocab_size;
  const ids = tokens.contiguousData();
  for (let i = 0; i < ids.length; i++) {
    if (ids[i]! >= vocab) {
      throw new ModelError("tokenize", `the tokenizer gives id ${ids[i]} but text_cfg.vocab_size is ${vocab}: this checkpoint needs its own tokenizer.json`, checkpoint.dir);
    }
  }
  return tokens;
}

/** Normalised features of images produced `batchSize` at a time by `imageAt`, with progress. */
export function embedImageStream(checkpoint: LoadedCheckpoint, count: number, imageAt: (i: number) => Tensor, io: Io, label = "embedding images", batchSize = 64): Tensor {
  const progress = startProgress(io, label, count);
  const parts: Tensor[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    const batch = stack(Array.from({ length: end - start }, (_, k) => imageAt(start + k)));
    parts.push(embedImages(checkpoint.model, batch, { batchSize }));
    progress.update(end);
  }
  progress.stop();
  return parts.length === 1 ? parts[0]! : concat(parts, 0);
}

/** Normalised text features. */
export function embedTextList(checkpoint: LoadedCheckpoint, texts: readonly string[], batchSize = 256): Tensor {
  return embedTexts(checkpoint.model, tokenizeFor(checkpoint, texts), { batchSize });
}

export interface ZeroShotReport {
  top1: number;
  top5: number;
  n: number;
  classes: number;
  /** Chance levels for a uniform guess: 1/C and min(5, C)/C. */
  chance_top1: number;
  chance_top5: number;
}

/** Zero-shot top-1/top-5 from normalised image features, class names and templates; also the logits. */
export function zeroShot(checkpoint: LoadedCheckpoint, imageFeatures: Tensor, labels: ArrayLike<number>, classnames: readonly string[], templates: readonly string[]): { metrics: ZeroShotReport; logits: Tensor } {
  const classifier = buildZeroShotClassifier(checkpoint.model, (texts) => tokenizeFor(checkpoint, texts), classnames, templates);
  const logits = zeroShotLogits(imageFeatures, classifier);
  const [top1, top5] = topKCorrect(logits, labels, [1, 5]) as [number, number];
  const n = labels.length;
  const C = classnames.length;
  return { metrics: { top1: top1 / n, top5: top5 / n, n, classes: C, chance_top1: 1 / C, chance_top5: Math.min(5, C) / C }, logits };
}

export interface RetrievalReport extends RetrievalMetrics {
  n_images: number;
  n_texts: number;
}

/** Chance R@k for a uniform ranking of `candidates` candidates with one right answer. */
export function chanceRecall(candidates: number, k: number): number {
  return Math.min(k, candidates) / candidates;
}

export function retrieval(imageFeatures: Tensor, textFeatures: Tensor, textImage?: ArrayLike<number>): RetrievalReport {
  const metrics = retrievalMetrics(imageFeatures, textFeatures, textImage === undefined ? {} : { textImage });
  return { ...metrics, n_images: imageFeatures.shape[0]!, n_texts: textFeatures.shape[0]! };
}

/** A split of OpenMoji prepared for evaluation at a checkpoint's resolution. */
export interface OpenMojiEvalSet {
  readonly openMoji: OpenMoji;
  /** Indices into openMoji.items of the evaluated emojis. */
  readonly indices: readonly number[];
  readonly hexcodes: readonly string[];
  /** The retrieval caption of each emoji: its annotation ("grinning face"). */
  readonly captions: readonly string[];
  /** Zero-shot class of each emoji, an index into `classes`. */
  readonly labels: Int32Array;
  /** All of OpenMoji's subgroups as words: the classifier chooses among every one. */
  readonly classes: readonly string[];
  readonly templates: readonly string[];
}

export interface OpenMojiEvalOptions {
  /** An OpenMoji already loaded at the right resolution (the demo's); else the split is rasterised (cached). */
  openMoji?: OpenMoji;
  /** Only the first `limit` emojis of the split (smoke runs). */
  limit?: number;
  cacheDir?: string;
}

export async function openMojiEvalSet(resolution: number, split: SplitName | "all", io: Io, options: OpenMojiEvalOptions = {}): Promise<OpenMojiEvalSet> {
  const all = openMojiItems();
  const { classes, labels: allLabels } = openMojiClasses(all);
  const labelOf = new Map(all.map((item, i) => [item.hexcode, allLabels[i]!]));
  let openMoji = options.openMoji;
  if (openMoji !== undefined && openMoji.resolution !== resolution) openMoji = undefined;
  let wanted: readonly string[];
  if (openMoji !== undefined) {
    wanted = split === "all" ? openMoji.items.map((item) => item.hexcode) : openMoji.split[split];
  } else {
    wanted = split === "all" ? all.map((item) => item.hexcode) : splitOpenMoji(all)[split];
  }
  if (options.limit !== undefined) wanted = wanted.slice(0, options.limit);
  if (openMoji === undefined) {
    const progress = startProgress(io, `rasterising OpenMoji (${split}, ${resolution}px)`, wanted.length);
    openMoji = await loadOpenMoji({
      resolution,
      cacheDir: options.cacheDir,
      ...(split === "all" && options.limit === undefined ? {} : { hexcodes: wanted }),
      onProgress: (done) => progress.update(done),
    });
    progress.stop();
  }
  const position = new Map(openMoji.items.map((item, i) => [item.hexcode, i]));
  const indices = wanted.map((hexcode) => position.get(hexcode)!);
  return {
    openMoji,
    indices,
    hexcodes: wanted,
    captions: indices.map((i) => openMoji.items[i]!.annotation),
    labels: Int32Array.from(wanted, (hexcode) => labelOf.get(hexcode)!),
    classes,
    templates: ZERO_SHOT_TEMPLATES,
  };
}

export interface OpenMojiResults {
  zeroshot: ZeroShotReport;
  retrieval: RetrievalReport;
  imageFeatures: Tensor;
  textFeatures: Tensor;
  /** Zero-shot logits (N, C). */
  zeroShotLogits: Tensor;
}

/** Zero-shot over the subgroups and retrieval against the annotations, on an evaluation set. */
export function evaluateOnOpenMoji(checkpoint: LoadedCheckpoint, set: OpenMojiEvalSet, io: Io): OpenMojiResults {
  if (set.indices.length === 0) throw new ModelError("evaluateOnOpenMoji", "the evaluation set is empty");
  const imageFeatures = embedImageStream(checkpoint, set.indices.length, (k) => checkpoint.preprocessImage(set.openMoji.image(set.indices[k]!)), io);
  const { metrics, logits } = zeroShot(checkpoint, imageFeatures, set.labels, set.classes, set.templates);
  const textFeatures = embedTextList(checkpoint, set.captions);
  return { zeroshot: metrics, retrieval: retrieval(imageFeatures, textFeatures), imageFeatures, textFeatures, zeroShotLogits: logits };
}
