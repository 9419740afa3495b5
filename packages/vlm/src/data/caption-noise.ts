/**
 * Alt-text noise, on purpose. Web captions are not written for training: many are boilerplate
 * the page template puts on every image, some are a character or two, some are in another
 * language, and some describe a different image. This file makes that noise, seeded and in
 * exact proportions, so a lesson can measure what it costs and what a caption filter wins back.
 *
 *   kind             the caption that replaces the clean one               what the text filter does
 *   boilerplate      "click to enlarge", "stock photo", "image" ...        drops every repeat after the first (duplicate)
 *   too-short        "", "-", "ok", the name cut to 1–2 letters            drops it (shorter than 3 characters)
 *   other-language   the item's name in another locale ("winkende Hand")   drops non-Latin scripts and phrases with foreign
 *                                                                          function words; a Latin noun phrase passes
 *   mismatched       a caption of another item, of a different base        keeps it: it is well-formed English about
 *                                                                          the wrong picture. Catching it needs the
 *                                                                          image: CLIP-score filtering (LAION kept pairs
 *                                                                          whose image–text cosine cleared a threshold)
 *
 * Per item, not per draw: an item chosen for noise keeps its one noisy caption at every draw,
 * as a web image keeps its alt-text. (Noise drawn afresh at every draw would average out over
 * the epochs: a different, milder experiment.) Exactly round(rate · n) items are noised and
 * the kinds split that count by the mix (largest remainders), so a rate is honoured to the
 * item, not on average. Which items, which kind and which caption all come from one Generator
 * seeded by the seed given, so the same seed gives the same noise.
 *
 * filterAltText is data/filter.ts applied to such items: each is judged by its caption, and
 * the same image with the same caption is one alt-text, not a duplicate of itself (the emojis
 * come in three drawing styles that share a caption).
 */

import type { Generator } from "@duet/tensor";
import { DataError } from "./errors.js";
import { filterCaptions, type CaptionFilterCounts } from "./filter.js";
import { generatorAt, permutation } from "./seeds.js";

export const NOISE_KINDS = ["boilerplate", "too-short", "other-language", "mismatched"] as const;
export type NoiseKind = (typeof NOISE_KINDS)[number];

export interface CaptionNoiseSpec {
  /** The share of items whose caption is replaced, in [0, 1]. */
  rate: number;
  /** Relative weights of the kinds (normalised; a kind left out or at 0 is not used). */
  mix: Partial<Record<NoiseKind, number>>;
}

/** Every kind alike. */
export const EVEN_MIX: Readonly<Record<NoiseKind, number>> = { boilerplate: 1, "too-short": 1, "other-language": 1, mismatched: 1 };

/** Phrases page templates put on images. All are 3+ characters of English: only their repetition gives them away. */
export const BOILERPLATE: readonly string[] = [
  "image", "photo", "picture", "icon", "logo", "thumbnail", "untitled", "click to enlarge", "click here", "view image",
  "stock photo", "product image", "placeholder", "image not found", "no description available", "download",
];

/** Captions too short to say anything, beside the item's name cut to one or two letters. */
export const TOO_SHORT: readonly string[] = ["", " ", "-", ".", "?", "x", "ok", ".."];

/** One item that may be noised. */
export interface NoiseTarget {
  /** The item's base (an emoji and its skin tones share one): a mismatched caption comes from another base. */
  readonly base: string;
  /** The item's name, which a too-short caption may be cut from. */
  readonly name: string;
  /** The item's name in other languages; an item without any cannot get the other-language kind. */
  readonly foreignNames: readonly string[];
}

export interface NoisedCaption {
  readonly kind: NoiseKind;
  readonly caption: string;
}

/** Where noisy captions come from that only the data knows: a caption of item j (for mismatched ones). */
export interface NoiseSources {
  captionOf(j: number, generator: Generator): string;
}

/** Keeps the noise's stream apart from the loader's (seeds.ts STREAM uses 1 and 2). */
const NOISE_STREAM = 0xa17;

/** Checks a spec; returns the mix's weights normalised to sum 1 (all 0 when the rate is 0). */
export function checkNoiseSpec(spec: CaptionNoiseSpec, op = "injectCaptionNoise"): Record<NoiseKind, number> {
  if (!(typeof spec.rate === "number" && spec.rate >= 0 && spec.rate <= 1)) throw new DataError(op, `rate must be a number in [0, 1], got ${JSON.stringify(spec.rate)}`);
  const weights = {} as Record<NoiseKind, number>;
  for (const kind of Object.keys(spec.mix)) {
    if (!(NOISE_KINDS as readonly string[]).includes(kind)) throw new DataError(op, `mix: unknown kind "${kind}"; the kinds are ${NOISE_KINDS.join(", ")}`);
  }
  let sum = 0;
  for (const kind of NOISE_KINDS) {
    const w = spec.mix[kind] ?? 0;
    if (!(Number.isFinite(w) && w >= 0)) throw new DataError(op, `mix: the weight of ${kind} must be a finite number ≥ 0, got ${w}`);
    weights[kind] = w;
    sum += w;
  }
  if (spec.rate > 0 && sum === 0) throw new DataError(op, `mix: at least one weight must be positive when the rate is ${spec.rate}, got ${JSON.stringify(spec.mix)}`);
  for (const kind of NOISE_KINDS) weights[kind] = sum > 0 ? weights[kind] / sum : 0;
  return weights;
}

/** How many of n items each kind gets: round(rate · n) in all, split by the mix with largest remainders (ties: kind order). */
export function noiseCounts(n: number, spec: CaptionNoiseSpec): Record<NoiseKind, number> {
  const weights = checkNoiseSpec(spec, "noiseCounts");
  const total = Math.round(spec.rate * n);
  const exact = NOISE_KINDS.map((kind) => total * weights[kind]);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = NOISE_KINDS.map((_, i) => i).sort((a, b) => exact[b]! - counts[b]! - (exact[a]! - counts[a]!) || a - b);
  for (const i of byRemainder) {
    if (left === 0) break;
    if (weights[NOISE_KINDS[i]!] > 0) {
      counts[i]!++;
      left--;
    }
  }
  return Object.fromEntries(NOISE_KINDS.map((kind, i) => [kind, counts[i]!])) as Record<NoiseKind, number>;
}

/**
 * The noisy caption of each target, or null where it stays clean (see the file comment).
 * Other-language slots go to targets that have a foreign name; too few of them is an error.
 */
export function injectCaptionNoise(targets: readonly NoiseTarget[], spec: CaptionNoiseSpec, seed: number, sources: NoiseSources): (NoisedCaption | null)[] {
  const counts = noiseCounts(targets.length, spec);
  const generator = generatorAt(NOISE_STREAM, seed);
  const order = permutation(targets.length, generator);
  const out: (NoisedCaption | null)[] = targets.map(() => null);
  const eligible = [...order].filter((i) => targets[i]!.foreignNames.length > 0);
  if (eligible.length < counts["other-language"]) {
    throw new DataError("injectCaptionNoise", `other-language: ${counts["other-language"]} items need a name in another language, but only ${eligible.length} of ${targets.length} have one`);
  }
  for (const i of eligible.slice(0, counts["other-language"])) {
    const names = targets[i]!.foreignNames;
    out[i] = { kind: "other-language", caption: names[generator.nextInt(names.length)]! };
  }
  const rest = [...order].filter((i) => out[i] === null);
  let next = 0;
  for (const kind of ["boilerplate", "too-short", "mismatched"] as const) {
    for (let c = 0; c < counts[kind]; c++) {
      const i = rest[next++]!;
      out[i] = { kind, caption: noisyCaption(kind, i, targets, generator, sources) };
    }
  }
  return out;
}

function noisyCaption(kind: "boilerplate" | "too-short" | "mismatched", i: number, targets: readonly NoiseTarget[], generator: Generator, sources: NoiseSources): string {
  if (kind === "boilerplate") return BOILERPLATE[generator.nextInt(BOILERPLATE.length)]!;
  if (kind === "too-short") {
    const name = targets[i]!.name.trim();
    const choices = [...TOO_SHORT, name.slice(0, 1), name.slice(0, 2)];
    return choices[generator.nextInt(choices.length)]!;
  }
  // another base's caption: rejection sampling, bounded so one base alone cannot loop forever
  for (let tries = 0; tries < 1000; tries++) {
    const j = generator.nextInt(targets.length);
    if (targets[j]!.base !== targets[i]!.base) return sources.captionOf(j, generator);
  }
  throw new DataError("injectCaptionNoise", `mismatched: no item of another base than "${targets[i]!.base}" was found in 1000 draws (${targets.length} items); a mismatched caption needs items of at least two bases`);
}

/** One item as the filter sees it: the image it belongs to (emojis: the hexcode) and its caption. */
export interface AltText {
  readonly image: string;
  readonly caption: string;
}

/**
 * data/filter.ts's filter (too short, not English, duplicate caption: its defaults) over items.
 * Items with the same image and the same caption (lowercased, whitespace collapsed) are one
 * alt-text and share its fate; counts are over those alt-texts. Returns whether each item is kept.
 */
export function filterAltText(items: readonly AltText[]): { kept: boolean[]; counts: CaptionFilterCounts } {
  const firstOf = new Map<string, number>();
  const group = items.map((item, i) => {
    const key = `${item.image}\u0000${item.caption.trim().toLowerCase().replace(/\s+/g, " ")}`;
    if (!firstOf.has(key)) firstOf.set(key, i);
    return firstOf.get(key)!;
  });
  const distinct = [...firstOf.values()].map((index) => ({ text: items[index]!.caption, index }));
  const { records, counts } = filterCaptions(distinct);
  const keptFirst = new Set(records.map((r) => r.index));
  return { kept: group.map((first) => keptFirst.has(first)), counts };
}
