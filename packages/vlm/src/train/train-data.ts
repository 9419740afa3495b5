/**
 * What the trainer trains on: image–caption pairs, as normalised image tensors and captions,
 * from one of three sources —
 *
 *   OpenMoji (the default)   { kind: "openmoji", split?: "train" }: rasterised at the model's
 *                            resolution and cached; a fresh caption each time an emoji is drawn
 *                            (annotation and tags, never the subgroup: see data/openmoji)
 *   a caption manifest       { kind: "captions", manifest: "pairs.csv" }: open_clip's CSV/TSV
 *                            (filepath, title) or JSONL (image, text); every image is decoded
 *                            once before training (data/image-check.ts), so a broken one stops
 *                            the run before its first step, named with its manifest line
 *                            (`skipBadImages` drops those rows instead); then decoded per batch
 *   pairs in memory          { kind: "pairs", pairs: [{ image, caption }] }: for tests and tools
 *
 * — and the batches a step eats: `{ images: (B, 3, S, S) float32, tokens: (B, L) int32 }`, from
 * the seeded, resumable DataLoader (a batch is a pure function of seed, epoch and position, so a
 * resumed run sees exactly the batches the uninterrupted one would have).
 *
 * Augmentation (off by default): open_clip's RandomResizedCrop, drawn from each sample's own
 * Generator, so it is as deterministic as the order.
 */

import { relative, resolve } from "node:path";
import { stack, type Tensor } from "@duet/tensor";
import { captionDataset, evalImageLoader, trainImageLoader } from "../data/datasets.js";
import { readCaptions, type CaptionManifestOptions } from "../data/captions.js";
import { findBadImages, type BadImage } from "../data/image-check.js";
import { manifestFolder } from "../data/manifest-common.js";
import { captionTwin } from "../data/caption-swap.js";
import { DataLoader, type Dataset, type SampleContext } from "../data/loader.js";
import { generatorAt } from "../data/seeds.js";
import { loadOpenMoji, type OpenMoji } from "../data/openmoji/dataset.js";
import type { SplitName } from "../data/openmoji/split.js";
import type { ProgressFactory } from "../eval/embed.js";
import type { ProgressCallback } from "../data/openmoji/rasterize.js";
import { imageToTensor, type NormalizeOptions } from "../image/normalize.js";
import { randomResizedCrop } from "../image/random-resized-crop.js";
import type { Tokenizer } from "../tokenizer/bpe.js";
import { emojiTrainData, type EmojiData } from "./emoji-data.js";
import { TrainError } from "./errors.js";

export interface OpenMojiData {
  kind: "openmoji";
  /** Which emojis to train on (default "train"; "all" for tests on a handful). */
  split?: SplitName | "all";
  /** OpenMoji already loaded at the model's resolution (else it is loaded, from the cache when warm). */
  dataset?: OpenMoji;
  cacheDir?: string;
  /** Only these emojis (tests). */
  hexcodes?: readonly string[];
  /** Only the first `limit` emojis. */
  limit?: number;
  /** Rasterisation progress, when the cache is cold. */
  onProgress?: ProgressCallback;
}

export interface CaptionData extends CaptionManifestOptions {
  kind: "captions";
  /** Path of a CSV, TSV or JSONL caption manifest. */
  manifest: string;
  /** Drop (and count) the rows whose image is missing or does not decode, instead of stopping. Default false. */
  skipBadImages?: boolean;
}

export interface PairData {
  kind: "pairs";
  /** Images as (3, S, S) float32 tensors already normalised for the model. */
  pairs: readonly { image: Tensor; caption: string }[];
}

/** The `data` option: a source description, or an OpenMoji already loaded at the model's resolution. */
export type TrainDataOption = OpenMojiData | EmojiData | CaptionData | PairData | OpenMoji;

/** A `data` option as train_state.json keeps it, to load the same data on resume (plain JSON). */
export type DataSpec = Omit<OpenMojiData, "dataset" | "onProgress"> | Omit<EmojiData, "dataset" | "onProgress"> | CaptionData;

/**
 * The saved form of a `data` option: a manifest by its absolute path, OpenMoji by its split;
 * null for data held in memory (pairs, an OpenMoji already loaded), which a resume must be given again.
 */
export function dataSpec(option: TrainDataOption | undefined): DataSpec | null {
  const source = option ?? { kind: "openmoji" as const };
  if (isOpenMoji(source) || source.kind === "pairs") return null;
  if (source.kind === "captions") return { ...source, manifest: resolve(source.manifest) };
  if (source.dataset !== undefined) return null;
  const { onProgress: _progress, ...spec } = source;
  return spec;
}

export interface ResolveDataOptions {
  /** Progress of the image check of a manifest (a bar in the CLI). */
  onProgress?: ProgressFactory;
}

/** One training pair, ready to batch. */
export interface TrainPair {
  readonly image: Tensor;
  readonly caption: string;
  /** The emoji's annotation, when the caption is an emoji's: its binding twin is the hard negative (data/caption-swap.ts). */
  readonly annotation?: string;
}

export interface TrainBatch {
  /** (B, 3, S, S) float32, normalised. */
  readonly images: Tensor;
  /** (B, L) int32. */
  readonly tokens: Tensor;
  readonly captions: readonly string[];
  /** With hard negatives: each caption's swapped twin as tokens, (B, L) int32 (K = 1: row i is caption i's). */
  readonly negatives?: Tensor;
}

export interface AugmentOptions {
  /** RandomResizedCrop's area range (open_clip trains with [0.9, 1.0]). */
  scale: readonly [number, number];
  /** Drawings only (emoji-data.ts): the largest rotation in degrees, shift as a fraction, probability of a coloured background. */
  degrees?: number;
  translate?: number;
  background?: number;
}

/** A data source resolved for one image size and normalisation. */
export interface TrainData {
  /** "OpenMoji train (3564 emojis)", "pairs.csv (1200 pairs)". */
  readonly description: string;
  readonly length: number;
  readonly imageSize: number;
  /** The OpenMoji dataset, when training on it. */
  readonly openMoji: OpenMoji | null;
  /** The OpenMoji split held out from this training set, for evaluation during training ("val"), or null. */
  readonly evalSplit: SplitName | null;
  /** Manifest rows left out by skipBadImages (images relative to the manifest's folder). */
  readonly skipped?: readonly BadImage[];
  /** Texts to learn a BPE vocabulary from. */
  corpus(): string[];
  /** Captions as training will see them, for sizing the text context. */
  sampleCaptions(): string[];
  dataset(augment: AugmentOptions | null): Dataset<TrainPair>;
}

const OP = "trainClip";

/** Resolves the `data` option at `imageSize` (loading OpenMoji or reading the manifest). */
export async function resolveTrainData(option: TrainDataOption | undefined, imageSize: number, normalize: NormalizeOptions, options: ResolveDataOptions = {}): Promise<TrainData> {
  const source = option ?? { kind: "openmoji" };
  if (isOpenMoji(source)) return openMojiData(checkResolution(source, imageSize), "train", normalize);
  switch (source.kind) {
    case "openmoji": {
      if (source.dataset !== undefined) return openMojiData(checkResolution(source.dataset, imageSize), source.split ?? "train", normalize);
      const openMoji = await loadOpenMoji({ resolution: imageSize, cacheDir: source.cacheDir, hexcodes: source.hexcodes, limit: source.limit, onProgress: source.onProgress });
      return openMojiData(openMoji, source.split ?? "train", normalize);
    }
    case "emoji":
      return emojiTrainData(source, imageSize, normalize);
    case "captions":
      return captionData(source, imageSize, normalize, options);
    case "pairs":
      return pairData(source, imageSize);
    default:
      throw new TrainError(OP, `data.kind must be "openmoji", "emoji", "captions" or "pairs", got ${JSON.stringify((source as { kind: unknown }).kind)}`);
  }
}

function checkResolution(openMoji: OpenMoji, imageSize: number): OpenMoji {
  if (openMoji.resolution !== imageSize) {
    throw new TrainError(OP, `data: the OpenMoji given is rasterised at ${openMoji.resolution}px but the model takes ${imageSize}px images; load it with { resolution: ${imageSize} }`);
  }
  return openMoji;
}

function isOpenMoji(value: unknown): value is OpenMoji {
  return typeof value === "object" && value !== null && "captionDataset" in value && "zeroShot" in value;
}

function openMojiData(openMoji: OpenMoji, split: SplitName | "all", normalize: NormalizeOptions): TrainData {
  const captions = openMoji.captionDataset(split);
  if (captions.length === 0) throw new TrainError(OP, `data: the OpenMoji ${split} split is empty (${openMoji.length} emojis loaded); use split "all" for a handful of emojis`);
  const indices = split === "all" ? openMoji.items.map((_, i) => i) : openMoji.indicesOf(split);
  const size = openMoji.resolution;
  return {
    description: `OpenMoji ${split} (${captions.length} emojis at ${size}px)`,
    length: captions.length,
    imageSize: size,
    openMoji,
    evalSplit: split === "train" && openMoji.indicesOf("val").length > 0 ? "val" : null,
    corpus: () =>
      indices.flatMap((i) => {
        const annotation = openMoji.items[i]!.annotation;
        return [annotation, `an emoji of ${annotation}`, ...openMoji.tagPool(i)];
      }),
    sampleCaptions: () => sampled(captions.length, 4, (k, context) => (captions.get(k, context) as { caption: string }).caption),
    dataset: (augment) => ({
      length: captions.length,
      get: (k, context) => {
        const sample = captions.get(k, context) as { image: Parameters<typeof imageToTensor>[0]; caption: string; index: number };
        const image = augment === null ? sample.image : randomResizedCrop(sample.image, size, { generator: context.generator, scale: augment.scale });
        return { image: imageToTensor(image, normalize), caption: sample.caption, annotation: openMoji.items[sample.index]!.annotation };
      },
    }),
  };
}

/** At most this many bad images are named in the error; the rest are counted. */
const BAD_IMAGES_NAMED = 3;

async function captionData(source: CaptionData, imageSize: number, normalize: NormalizeOptions, resolveOptions: ResolveDataOptions): Promise<TrainData> {
  const { kind: _kind, manifest, skipBadImages = false, ...options } = source;
  // with skipBadImages a missing file is one more bad image, not a manifest error
  const all = readCaptions(manifest, skipBadImages ? { checkFiles: false, ...options } : options).records;
  if (all.length === 0) throw new TrainError(OP, `data: ${manifest} holds no pairs`);
  const distinct = new Set(all.map((r) => r.image)).size;
  const progress = resolveOptions.onProgress?.(`checking ${distinct} images`, distinct);
  let bad: BadImage[];
  try {
    bad = await findBadImages(all, { onProgress: (done) => progress?.update(done) });
  } finally {
    progress?.stop();
  }
  const folder = manifestFolder(manifest);
  const name = (b: BadImage) => `line ${b.line}: ${relative(folder, b.image)}: ${b.problem}`;
  if (bad.length > 0 && !skipBadImages) {
    const more = bad.length > BAD_IMAGES_NAMED ? `; and ${bad.length - BAD_IMAGES_NAMED} more` : "";
    throw new TrainError(OP, `data: ${bad.length} of the ${all.length} rows of ${manifest} ${bad.length === 1 ? "has" : "have"} an image that cannot be used: ${bad.slice(0, BAD_IMAGES_NAMED).map(name).join("; ")}${more}; fix or remove those rows, or skip them with skipBadImages (duet train --skip-bad-images)`);
  }
  const badLines = new Set(bad.map((b) => b.line));
  const records = all.filter((r) => !badLines.has(r.line));
  if (records.length === 0) throw new TrainError(OP, `data: none of the ${all.length} rows of ${manifest} has an image that can be used (${name(bad[0]!)})`);
  const skipped = bad.length > 0 ? `; ${bad.length} row${bad.length === 1 ? "" : "s"} with a bad image skipped` : "";
  return {
    description: `${manifest} (${records.length} pairs at ${imageSize}px${skipped})`,
    length: records.length,
    imageSize,
    openMoji: null,
    evalSplit: null,
    skipped: bad.map((b) => ({ ...b, image: relative(folder, b.image) })),
    corpus: () => records.map((r) => r.text),
    sampleCaptions: () => records.map((r) => r.text),
    dataset: (augment) => {
      const load = augment === null ? evalImageLoader(imageSize, normalize) : trainImageLoader(imageSize, { ...normalize, scale: augment.scale });
      const inner = captionDataset(records, load);
      return {
        length: inner.length,
        get: async (k, context) => {
          const sample = await inner.get(k, context);
          return { image: sample.image, caption: sample.text };
        },
      };
    },
  };
}

function pairData(source: PairData, imageSize: number): TrainData {
  const pairs = source.pairs;
  if (!Array.isArray(pairs) || pairs.length === 0) throw new TrainError(OP, "data.pairs must be a non-empty list of { image, caption }");
  pairs.forEach(({ image, caption }, i) => {
    const s = image?.shape;
    if (!s || s.length !== 3 || s[0] !== 3 || s[1] !== imageSize || s[2] !== imageSize || typeof caption !== "string") {
      throw new TrainError(OP, `data.pairs[${i}] must be { image: (3, ${imageSize}, ${imageSize}) tensor, caption: string }, got image ${s ? `[${s.join(",")}]` : String(image)}`);
    }
  });
  return {
    description: `${pairs.length} pairs in memory`,
    length: pairs.length,
    imageSize,
    openMoji: null,
    evalSplit: null,
    corpus: () => pairs.map((p) => p.caption),
    sampleCaptions: () => pairs.map((p) => p.caption),
    dataset: () => ({ length: pairs.length, get: (k) => pairs[k]! }),
  };
}

/** `draws` captions of each of `n` samples, each from a fixed Generator (not the run's). */
function sampled(n: number, draws: number, caption: (k: number, context: SampleContext) => string): string[] {
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    for (let d = 0; d < draws; d++) out.push(caption(k, { generator: generatorAt(0x5eed, k, d), epoch: d, position: k }));
  }
  return out;
}

/**
 * A loader of training batches: shuffled per epoch, full batches only, tokenised in collate;
 * with `hardNegatives`, each caption's swapped twin (data/caption-swap.ts) tokenised beside it.
 */
export function trainLoader(dataset: Dataset<TrainPair>, tokenizer: Tokenizer, contextLength: number, batchSize: number, seed: number, hardNegatives = false): DataLoader<TrainPair, TrainBatch> {
  if (batchSize > dataset.length) {
    throw new TrainError(OP, `batchSize ${batchSize} is larger than the training set (${dataset.length} pairs): lower it (every batch is full, its pairs are each other's negatives)`);
  }
  return new DataLoader<TrainPair, TrainBatch>(dataset, {
    batchSize,
    seed,
    shuffle: true,
    dropLast: true,
    prefetch: 1,
    collate: (samples) => ({
      images: stack(samples.map((s) => s.image)),
      tokens: tokenizer.tokenize(samples.map((s) => s.caption), contextLength),
      captions: samples.map((s) => s.caption),
      ...(hardNegatives ? { negatives: tokenizer.tokenize(samples.map((s) => captionTwin(s.caption, s.annotation)), contextLength) } : {}),
    }),
  });
}
