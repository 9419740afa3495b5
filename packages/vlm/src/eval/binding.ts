/**
 * Scoring the attribute-binding benchmark (data/openmoji/binding.ts): for each pair, is the
 * image closer to its caption than to the swapped twin?
 *
 *   win_p = 1 if cos(image_p, caption_p) > cos(image_p, twin_p), ½ on a tie, else 0
 *   score = Σ win_p / n                       chance: ½ (the twin has the same words)
 *   se₀   = √(½ · ½ / n)                      the binomial standard error at chance
 *   z     = (score − ½) / se₀                 "within noise of 50%" is |z| < 2
 *   se    = √(score · (1 − score) / n)        the estimate's own standard error
 *
 * The binomial treats the pairs as independent draws; they are not quite (one image has two
 * gender pairs; a handshake and its mirror share their words), so read se as a floor on the
 * noise, not its exact size (the six skin-tone variants of one walking person are nearly one
 * drawing). A score per kind (skin tones, genders, facing) comes with its n. In the test split
 * the facing pairs are not balanced (three bases face left, two right), so a model blind to
 * direction can still stray from 50% on them; the skin-tone pairs are (every ordered pair of
 * tones comes with its mirror).
 */

import type { Tensor } from "@duet/tensor";
import { bindingItems, bindingPairsOf, BINDING_KINDS, type BindingKind, type BindingPair } from "../data/openmoji/binding.js";
import { loadOpenMoji, type OpenMoji } from "../data/openmoji/dataset.js";
import type { SplitName } from "../data/openmoji/split.js";
import type { EmojiStyle } from "../data/openmoji/styles.js";
import { ModelError } from "../model/errors.js";
import { embedImageStream, embedTextList } from "./embed.js";
import type { Encoder } from "./encoder.js";

/** The benchmark of one split in one style, with its images. */
export interface BindingSet {
  /** "openmoji:test". */
  readonly name: string;
  readonly split: SplitName | "all";
  readonly style: EmojiStyle;
  /** The drawings of the emojis that have pairs (items in the order of `pairs`' first use). */
  readonly openMoji: OpenMoji;
  readonly pairs: readonly BindingPair[];
  /** Index into openMoji.items of each pair's image. */
  readonly imageOf: Int32Array;
}

export interface BindingSetOptions {
  cacheDir?: string;
  /** Emojis already loaded; used when they hold every emoji the benchmark needs in this style and resolution. */
  openMoji?: OpenMoji;
}

/** The binding benchmark of a split in a style, rasterised at `resolution` (from the raster cache when warm). */
export async function bindingSet(resolution: number, split: SplitName | "all", style: EmojiStyle, options: BindingSetOptions = {}): Promise<BindingSet> {
  const items = bindingItems(split, style);
  const name = `${style}:${split}`;
  if (items.length === 0) throw new ModelError("bindingSet", `the ${name} emojis give no binding pairs (Fluent draws no two-tone emojis; every style has the facing ones in every split)`);
  const given = options.openMoji;
  const usable = given !== undefined && given.style === style && given.resolution === resolution;
  const position = usable ? new Map(given.items.map((item, i) => [item.hexcode, i])) : null;
  const openMoji = position !== null && items.every((item) => position.has(item.hexcode)) ? given! : await loadOpenMoji({ style, resolution, cacheDir: options.cacheDir, hexcodes: items.map((item) => item.hexcode) });
  const at = new Map(openMoji.items.map((item, i) => [item.hexcode, i]));
  const pairs = items.flatMap((item) => bindingPairsOf(item));
  return { name, split, style, openMoji, pairs, imageOf: Int32Array.from(pairs, (pair) => at.get(pair.hexcode)!) };
}

export interface BindingScore {
  score: number;
  n: number;
  /** √(score (1 − score) / n). */
  se: number;
  /** √(¼ / n): the noise of a model at chance. */
  chanceSe: number;
  /** (score − ½) / chanceSe. */
  z: number;
}

/** The score of the file comment from wins (1, ½ or 0 per pair). */
export function summarizeWins(wins: readonly number[]): BindingScore {
  const n = wins.length;
  if (n === 0) return { score: NaN, n: 0, se: NaN, chanceSe: NaN, z: NaN };
  const score = wins.reduce((a, b) => a + b, 0) / n;
  const chanceSe = Math.sqrt(0.25 / n);
  return { score, n, se: Math.sqrt((score * (1 - score)) / n), chanceSe, z: (score - 0.5) / chanceSe };
}

/**
 * Wins from features: image features (images, D), caption and twin features (pairs, D), all
 * L2-normalised, and the image of each pair.
 */
export function bindingWins(imageFeatures: Tensor, captionFeatures: Tensor, twinFeatures: Tensor, imageOf: ArrayLike<number>): number[] {
  const n = imageOf.length;
  if (captionFeatures.shape[0] !== n || twinFeatures.shape[0] !== n) {
    throw new ModelError("bindingWins", `need one caption and one twin feature row per pair (${n}), got ${captionFeatures.shape[0]} and ${twinFeatures.shape[0]}`);
  }
  const d = imageFeatures.shape[1]!;
  const [images, captions, twins] = [imageFeatures, captionFeatures, twinFeatures].map((t) => t.contiguousData());
  // cosine = dot product: the features are unit vectors
  const cos = (texts: ArrayLike<number>, p: number) => {
    let sum = 0;
    for (let k = 0, i = imageOf[p]! * d, t = p * d; k < d; k++) sum += images![i + k]! * texts[t + k]!;
    return sum;
  };
  const wins: number[] = [];
  for (let p = 0; p < n; p++) {
    const toCaption = cos(captions!, p);
    const toTwin = cos(twins!, p);
    wins.push(toCaption > toTwin ? 1 : toCaption === toTwin ? 0.5 : 0);
  }
  return wins;
}

/** A flat record: binding (the score), binding_n, binding_se, binding_chance_se, binding_z, and per kind "binding <kind>" with its n. */
export type BindingRecord = Record<string, number | string>;

/** Scores a model on a binding set (see the file comment). */
export async function evaluateBinding(encoder: Encoder, set: BindingSet): Promise<{ record: BindingRecord; wins: number[] }> {
  const { model } = encoder;
  const wasTraining = model.training;
  model.eval();
  try {
    {
      // only the images the pairs use, each once (the embedders run without a graph)
      const used = [...new Set(set.imageOf)];
      const row = new Map(used.map((index, r) => [index, r]));
      const images = await embedImageStream(model, used.length, (r) => encoder.preprocessImage(set.openMoji.image(used[r]!)));
      const captions = embedTextList(encoder, set.pairs.map((p) => p.caption));
      const twins = embedTextList(encoder, set.pairs.map((p) => p.twin));
      const wins = bindingWins(images, captions, twins, Int32Array.from(set.imageOf, (index) => row.get(index)!));
      const all = summarizeWins(wins);
      // a tie is most often a caption and twin cut to the same tokens by a short text context
      const ties = wins.filter((w) => w === 0.5).length;
      const record: BindingRecord = { data: set.name, binding: all.score, binding_n: all.n, binding_se: all.se, binding_chance_se: all.chanceSe, binding_z: all.z, binding_ties: ties };
      for (const kind of BINDING_KINDS) {
        const mine = wins.filter((_, p) => set.pairs[p]!.kind === kind);
        if (mine.length === 0) continue;
        const s = summarizeWins(mine);
        record[`binding ${kind}`] = s.score;
        record[`binding ${kind} n`] = s.n;
      }
      return { record, wins };
    }
  } finally {
    if (wasTraining) model.train();
  }
}

export type { BindingKind };
