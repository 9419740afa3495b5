/**
 * Captioning a set of images with a CoCa, and `duet eval caption`'s scores: BLEU-1…4, ROUGE-L
 * and CIDEr-D of the generated captions against the references, beside two baselines computed
 * on the same images:
 *
 *   retrieval      each image gets a caption of its nearest training image in the joint space
 *                  (cosine of the L2-normalised image features; the first caption that image
 *                  has: a manifest's first, an emoji's annotation) — what CLIP alone can say
 *   most_frequent  every image gets the training set's most frequent caption (ties: the first
 *                  in the training data's order) — what a model that ignores the image can say.
 *                  Counted over each training image's references: a manifest's captions, and
 *                  for an emoji every caption the training captioner can give it (templates
 *                  over its name and keywords), so a caption many emojis share ("a face") wins;
 *                  counting only annotations, which are all distinct, would pick the first one
 *
 * CIDEr-D's document frequencies come from each scored set's own references (pycocoevalcap's
 * way), the same references for all three, so the three numbers compare.
 */

import { argmax, concat, matmul } from "@duet/tensor";
import { isCoCa, type CoCa } from "../model/coca.js";
import { generateCaptions, stripEnd, type GenerateOptions } from "../model/coca-generate.js";
import type { LoadedCheckpoint } from "../model/index.js";
import { ModelError } from "../model/errors.js";
import { detokenize } from "../tokenizer/detokenize.js";
import type { CaptionSet } from "./caption-data.js";
import { captionMetrics, type CaptionMetrics } from "./caption-metrics.js";
import { embedImageStream, type ProgressFactory } from "./embed.js";

export type CaptionDecodeOptions = Omit<GenerateOptions, "sotId" | "eotId">;

export interface GeneratedCaption {
  image: string;
  text: string;
  /** The generated ids, without <start_of_text> and <end_of_text>. */
  tokens: number[];
}

export interface CaptionRunOptions {
  /** Images decoded together (default 32). */
  batchSize?: number;
  onProgress?: ProgressFactory;
  /** evaluateCaptions: the images (indices into the scored set) whose captions `examples` holds (default the first 5). */
  examples?: readonly number[];
}

/** The checkpoint's model as a CoCa, or an error saying captioning needs one. */
export function cocaOf(checkpoint: LoadedCheckpoint, op: string): CoCa {
  const model: unknown = checkpoint.model;
  if (!isCoCa(model)) {
    throw new ModelError(op, `${checkpoint.dir} holds a CLIP model (its config has no multimodal_cfg, so no text decoder): captioning needs a CoCa checkpoint (e.g. duet train --model coca)`);
  }
  return model;
}

/** One caption per image of `set`, decoded in batches with the checkpoint's tokenizer. */
export async function captionSet(checkpoint: LoadedCheckpoint, set: CaptionSet, decode: CaptionDecodeOptions, options: CaptionRunOptions = {}): Promise<GeneratedCaption[]> {
  const model = cocaOf(checkpoint, "captionSet");
  const { tokenizer } = checkpoint;
  const ids = { sotId: tokenizer.sotTokenId, eotId: tokenizer.eotTokenId };
  const batchSize = options.batchSize ?? 32;
  const progress = options.onProgress?.("captioning", set.count);
  const out: GeneratedCaption[] = [];
  try {
    for (let a = 0; a < set.count; a += batchSize) {
      const b = Math.min(set.count, a + batchSize);
      const images = [];
      for (let i = a; i < b; i++) images.push(checkpoint.preprocessImage(await set.image(i)).unsqueeze(0));
      // firstItem: image i draws from the same stream whatever batch it falls in
      const generated = generateCaptions(model, concat(images, 0), { ...decode, ...ids, firstItem: a });
      generated.forEach((row, k) => {
        const tokens = stripEnd(row, ids.eotId);
        out.push({ image: set.label(a + k), text: detokenize(tokenizer.decode(tokens)), tokens });
      });
      progress?.update(b);
    }
  } finally {
    progress?.stop();
  }
  return out;
}

export interface CaptionBaselines {
  retrieval: CaptionMetrics & { train_images: number };
  most_frequent: CaptionMetrics & { caption: string; count: number };
}

export interface CaptionEvaluation {
  data: string;
  train_data: string;
  model: CaptionMetrics;
  baselines: CaptionBaselines;
  /** The first few images (or options.examples): the generated caption, the retrieval baseline's, and the first reference. */
  examples: { image: string; generated: string; retrieved: string; reference: string }[];
}

/** The most frequent caption of a set's references (its captions where it has none) and its count (ties: the first seen). */
export function mostFrequentCaption(set: CaptionSet): { caption: string; count: number } {
  const counts = new Map<string, number>();
  for (let i = 0; i < set.count; i++) {
    const references = set.references(i);
    for (const caption of references.length > 0 ? references : set.captions(i)) counts.set(caption, (counts.get(caption) ?? 0) + 1);
  }
  let best = { caption: "", count: 0 };
  for (const [caption, count] of counts) if (count > best.count) best = { caption, count };
  if (best.count === 0) throw new ModelError("mostFrequentCaption", `${set.name} has no captions to count`);
  return best;
}

/** For each image of `test`, the index of the nearest image of `train` by cosine similarity of image features. */
export async function nearestTrainImages(checkpoint: LoadedCheckpoint, test: CaptionSet, train: CaptionSet, options: CaptionRunOptions = {}): Promise<number[]> {
  const embed = (set: CaptionSet, label: string) =>
    embedImageStream(checkpoint.model, set.count, async (i) => checkpoint.preprocessImage(await set.image(i)), { batchSize: 64, onProgress: options.onProgress, label });
  const testFeatures = await embed(test, `embedding ${test.name}`);
  const trainFeatures = await embed(train, `embedding ${train.name} (for the retrieval baseline)`);
  const nearest = argmax(matmul(testFeatures, trainFeatures.transpose()), 1);
  return Array.from(nearest.contiguousData(), Number);
}

/** `duet eval caption`: the model's captions and both baselines, scored against `test`'s references. */
export async function evaluateCaptions(checkpoint: LoadedCheckpoint, test: CaptionSet, train: CaptionSet, decode: CaptionDecodeOptions, options: CaptionRunOptions = {}): Promise<CaptionEvaluation> {
  const op = "evaluateCaptions";
  cocaOf(checkpoint, op);
  if (test.count === 0) throw new ModelError(op, `${test.name} holds no images`);
  if (train.count === 0) throw new ModelError(op, `the training data ${train.name} holds no images: the baselines need some`);
  const references = Array.from({ length: test.count }, (_, i) => test.references(i));
  const empty = references.findIndex((r) => r.length === 0);
  if (empty >= 0) throw new ModelError(op, `${test.label(empty)} in ${test.name} has no reference caption`);
  const generated = await captionSet(checkpoint, test, decode, options);
  const nearest = await nearestTrainImages(checkpoint, test, train, options);
  const retrieved = nearest.map((j) => train.captions(j)[0] ?? "");
  const frequent = mostFrequentCaption(train);
  return {
    data: test.name,
    train_data: train.name,
    model: captionMetrics(generated.map((g) => g.text), references),
    baselines: {
      retrieval: { ...captionMetrics(retrieved, references), train_images: train.count },
      most_frequent: { ...captionMetrics(references.map(() => frequent.caption), references), ...frequent },
    },
    examples: (options.examples ?? generated.slice(0, 5).map((_, i) => i)).map((i) => ({ image: generated[i]!.image, generated: generated[i]!.text, retrieved: retrieved[i]!, reference: references[i]![0]! })),
  };
}
