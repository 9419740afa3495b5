/**
 * Training captions for the emojis, built from an emoji's annotation and keywords and sampled
 * afresh each time the emoji is drawn, so the text tower sees many phrasings of one concept:
 *
 *   "grinning face"                      {name}
 *   "grinning face, smile"               {name}, {tag}
 *   "grinning face, happy, teeth"        {name}, {tag}, {tag}
 *   "an emoji of grinning face"          an emoji of {name}
 *   "an emoji of grinning face, grin"    an emoji of {name}, {tag}
 *   "an icon of grinning face"           an icon of {name}
 *   "a drawing of grinning face"         a drawing of {name}
 *   "grinning face (cheerful)"           {name} ({tag})
 *   "laugh: grinning face"               {tag}: {name}
 *
 * The rule: a caption is a template's fixed words, the annotation and keywords from the
 * emoji's tag pool — never its group or subgroup name, which zero-shot evaluation keeps as
 * unseen labels. (A subgroup word can still appear when the annotation or a keyword genuinely
 * contains it: "grinning face", subgroup face-smiling.) No fixed word is a group or subgroup
 * word.
 *
 * Tag pool: Unicode's tags, OpenMoji's tags and CLDR's keywords (emojibase-data, cldr.ts),
 * deduplicated (ignoring case), without the annotation itself. OpenMoji gives skin-tone
 * variants no tags, so a variant whose pool is empty borrows its base emoji's
 * ("waving hand: light skin tone, wave").
 */

import type { Generator } from "@duet/tensor";
import type { OpenMojiItem } from "./metadata.js";

export interface CaptionTemplate {
  /** The caption with "{name}" (the annotation) and "{tag}" slots, each tag a different one. */
  readonly text: string;
  /** How many {tag} slots it has. */
  readonly tags: number;
}

const template = (text: string): CaptionTemplate => ({ text, tags: text.split("{tag}").length - 1 });

export const CAPTION_TEMPLATES: readonly CaptionTemplate[] = [
  "{name}",
  "{name}, {tag}",
  "{name}, {tag}, {tag}",
  "an emoji of {name}",
  "an emoji of {name}, {tag}",
  "an icon of {name}",
  "a drawing of {name}",
  "{name} ({tag})",
  "{tag}: {name}",
].map(template);

/** The emoji's own tags, OpenMoji tags and CLDR keywords, deduplicated ignoring case, without the annotation. */
export function ownTags(item: OpenMojiItem): string[] {
  const seen = new Set([item.annotation.toLowerCase()]);
  const pool: string[] = [];
  for (const tag of [...item.tags, ...item.openmojiTags, ...item.keywords]) {
    const key = tag.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    pool.push(tag);
  }
  return pool;
}

/** n · (n-1) ⋯ (n-k+1): ordered choices of k distinct items of n. */
function permutations(n: number, k: number): number {
  let out = 1;
  for (let i = 0; i < k; i++) out *= n - i;
  return out;
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
    const eligible = CAPTION_TEMPLATES.filter((t) => t.tags <= pool.length);
    const chosen = eligible[generator.nextInt(eligible.length)]!;
    const indices = pool.map((_, i) => i);
    let k = 0;
    return chosen.text.replace(/\{(name|tag)\}/g, (slot) => {
      if (slot === "{name}") return item.annotation;
      // a partial Fisher–Yates shuffle: the k-th tag is drawn from those not drawn yet
      const j = k + generator.nextInt(indices.length - k);
      [indices[k], indices[j]] = [indices[j]!, indices[k]!];
      return pool[indices[k++]!]!;
    });
  }

  /** Every caption `sample` can give the emoji, each once (distinctCaptions of them): a captioning metric's references. */
  allCaptions(item: OpenMojiItem): string[] {
    const pool = this.tagPool(item);
    const out: string[] = [];
    for (const t of CAPTION_TEMPLATES) {
      if (t.tags > pool.length) continue;
      // every ordered choice of t.tags distinct tags, filled into the slots in order
      const fill = (chosen: number[]) => {
        if (chosen.length === t.tags) {
          let k = 0;
          out.push(t.text.replace(/\{(name|tag)\}/g, (slot) => (slot === "{name}" ? item.annotation : pool[chosen[k++]!]!)));
          return;
        }
        for (let i = 0; i < pool.length; i++) if (!chosen.includes(i)) fill([...chosen, i]);
      };
      fill([]);
    }
    return out;
  }

  /** How many different captions `sample` can give the emoji (templates × ordered choices of tags). */
  distinctCaptions(item: OpenMojiItem): number {
    const n = this.tagPool(item).length;
    return CAPTION_TEMPLATES.filter((t) => t.tags <= n).reduce((sum, t) => sum + permutations(n, t.tags), 0);
  }
}
