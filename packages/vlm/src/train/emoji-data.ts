/**
 * Training on the emojis in several drawing styles (data/openmoji/collection.ts): `emoji` is
 * all three styles, `noto` or `fluent` one of them, `openmoji` OpenMoji's own drawings through
 * the same path. Each draw gets a fresh caption (annotation, Unicode and OpenMoji tags, CLDR
 * keywords: data/openmoji/captions.ts) and, when augmenting, the drawing pipeline of
 * image/augment.ts: background, RandomResizedCrop, rotation and shift — all from the sample's
 * own Generator, so a run is as deterministic as its order.
 *
 * An epoch draws every record once by default ("uniform"); "concept" gives every base emoji
 * the same share instead (data/openmoji/collection.ts says why uniform stays the default).
 */

import { augmentDrawing } from "../image/augment.js";
import { imageToTensor, type NormalizeOptions } from "../image/normalize.js";
import { generatorAt } from "../data/seeds.js";
import { EmojiCollection, loadEmojiCollection, type Sampling } from "../data/openmoji/collection.js";
import type { ProgressCallback } from "../data/openmoji/rasterize.js";
import type { SplitName } from "../data/openmoji/split.js";
import { EMOJI_STYLES, type EmojiStyle } from "../data/openmoji/styles.js";
import { TrainError } from "./errors.js";
import type { TrainData } from "./train-data.js";

export interface EmojiData {
  kind: "emoji";
  /** Which drawing styles (default all three). */
  styles?: readonly EmojiStyle[];
  /** Which emojis (default "train"). */
  split?: SplitName | "all";
  /** How an epoch draws (default "uniform"). */
  sampling?: Sampling;
  /** A collection already loaded at the model's resolution. */
  dataset?: EmojiCollection;
  cacheDir?: string;
  /** Only these emojis (tests). */
  hexcodes?: readonly string[];
  /** Only the first `limit` emojis of each style. */
  limit?: number;
  onProgress?: ProgressCallback;
}

/** "emoji:train" for all styles, "noto:train" for one. */
export function describeStyles(styles: readonly EmojiStyle[], split: string): string {
  const all = styles.length === EMOJI_STYLES.length && EMOJI_STYLES.every((s) => styles.includes(s));
  return `${all ? "emoji" : styles.join("+")}:${split}`;
}

/** The collection as the trainer's data (see the file comment). */
export async function emojiTrainData(source: EmojiData, imageSize: number, normalize: NormalizeOptions): Promise<TrainData> {
  const collection =
    source.dataset ??
    (await loadEmojiCollection({ styles: source.styles, resolution: imageSize, cacheDir: source.cacheDir, hexcodes: source.hexcodes, limit: source.limit, onProgress: source.onProgress }));
  if (collection.resolution !== imageSize) {
    throw new TrainError("trainClip", `data: the emojis given are rasterised at ${collection.resolution}px but the model takes ${imageSize}px images`);
  }
  const split = source.split ?? "train";
  const sampling = source.sampling ?? "uniform";
  const records = collection.records(split);
  if (records.length === 0) throw new TrainError("trainClip", `data: the ${split} split of ${collection.styles.join(", ")} is empty; use split "all" for a handful of emojis`);
  const openMoji = collection.part("openmoji") ?? collection.parts[0]!;
  const perStyle = collection.parts.map((part) => `${part.style} ${split === "all" ? part.length : part.indicesOf(split).length}`).join(", ");
  return {
    description: `${describeStyles(collection.styles, split)} (${records.length} drawings: ${perStyle}; at ${imageSize}px, sampled ${sampling === "uniform" ? "uniformly" : "by concept"})`,
    length: records.length,
    imageSize,
    openMoji,
    evalSplit: split === "train" && openMoji.indicesOf("val").length > 0 ? "val" : null,
    corpus: () =>
      collection.concepts(split).flatMap((members) => {
        const { part, index } = members[0]!;
        const emoji = collection.parts[part]!;
        const annotation = emoji.items[index]!.annotation;
        return [annotation, `an emoji of ${annotation}`, ...emoji.tagPool(index)];
      }),
    sampleCaptions: () =>
      records.flatMap((record, k) => [0, 1, 2, 3].map((d) => collection.sample(record, generatorAt(0x5eed, k, d)).caption)),
    dataset: (augment) => {
      const inner = collection.captionDataset(split, sampling);
      // the annotation a caption was built from: its binding twin is the hard negative
      const annotationOf = new Map(collection.parts.flatMap((part) => part.items.map((item) => [item.hexcode, item.annotation] as const)));
      const drawing = augment;
      return {
        length: inner.length,
        get: (k, context) => {
          const sample = inner.get(k, context) as ReturnType<EmojiCollection["sample"]>;
          const image = drawing === null ? sample.image : augmentDrawing(sample.image, imageSize, drawing, context.generator);
          return { image: imageToTensor(image, normalize), caption: sample.caption, annotation: annotationOf.get(sample.hexcode) };
        },
      };
    },
  };
}
