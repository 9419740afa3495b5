/**
 * Training captions for OpenMoji, built from an emoji's annotation and tags and sampled afresh
 * each time the emoji is drawn, so the text tower sees several phrasings of one image:
 *
 *   "grinning face"                      annotation
 *   "grinning face, smile"               annotation, tag
 *   "grinning face, happy, teeth"        annotation, tag, tag
 *   "an emoji of grinning face"          an emoji of annotation
 *   "an emoji of grinning face, grin"    an emoji of annotation, tag
 *
 * The rule: a caption is a template's fixed words, the annotation and tags from the emoji's
 * tag pool — never its group or subgroup name, which zero-shot evaluation keeps as unseen
 * labels. (A subgroup word can still appear when the annotation or a tag genuinely contains it:
 * "grinning face", subgroup face-smiling.) The fixed words ("an emoji of") are no group or
 * subgroup word.
 *
 * Tag pool: the Unicode tags and OpenMoji tags, deduplicated (ignoring case), without the
 * annotation itself. Skin-tone variants carry no tags in OpenMoji, so a variant whose pool is
 * empty borrows its base emoji's ("waving hand: light skin tone, wave").
 */

import type { Generator } from "@duet/tensor";
import type { OpenMojiItem } from "./metadata.js";

export interface CaptionTemplate {
  /** Fixed words before the annotation. */
  readonly prefix: string;
  /** How many tags follow the annotation, each after ", ". */
  readonly tags: number;
}

export const CAPTION_TEMPLATES: readonly CaptionTemplate[] = [
  { prefix: "", tags: 0 },
  { prefix: "", tags: 1 },
  { prefix: "", tags: 2 },
  { prefix: "an emoji of ", tags: 0 },
  { prefix: "an emoji of ", tags: 1 },
];

/** The emoji's own tags and OpenMoji tags, deduplicated ignoring case, without the annotation. */
export function ownTags(item: OpenMojiItem): string[] {
  const seen = new Set([item.annotation.toLowerCase()]);
  const pool: string[] = [];
  for (const tag of [...item.tags, ...item.openmojiTags]) {
    const key = tag.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    pool.push(tag);
  }
  return pool;
}

/** Samples captions for a set of emojis; `allItems` lets a variant find its base's tags. */
export class OpenMojiCaptioner {
  private readonly pools = new Map<string, readonly string[]>();
  private readonly byHexcode: ReadonlyMap<string, OpenMojiItem>;

  constructor(allItems: readonly OpenMojiItem[]) {
    this.byHexcode = new Map(allItems.map((item) => [item.hexcode, item]));
  }

  /** The tags a caption of `item` may use. */
  tagPool(item: OpenMojiItem): readonly string[] {
    let pool = this.pools.get(item.hexcode);
    if (pool === undefined) {
      pool = ownTags(item);
      const base = this.byHexcode.get(item.baseHexcode);
      if (pool.length === 0 && base !== undefined && base.hexcode !== item.hexcode) {
        pool = ownTags(base).filter((tag) => tag.toLowerCase() !== item.annotation.toLowerCase());
      }
      this.pools.set(item.hexcode, pool);
    }
    return pool;
  }

  /** One caption: a template among those the pool has tags enough for, then distinct tags, all from `generator`. */
  sample(item: OpenMojiItem, generator: Generator): string {
    const pool = this.tagPool(item);
    const eligible = CAPTION_TEMPLATES.filter((template) => template.tags <= pool.length);
    const template = eligible[generator.nextInt(eligible.length)]!;
    const indices = pool.map((_, i) => i);
    let caption = template.prefix + item.annotation;
    for (let k = 0; k < template.tags; k++) {
      // A partial Fisher–Yates shuffle: the k-th tag is drawn from those not drawn yet.
      const j = k + generator.nextInt(indices.length - k);
      [indices[k], indices[j]] = [indices[j]!, indices[k]!];
      caption += `, ${pool[indices[k]!]}`;
    }
    return caption;
  }
}
