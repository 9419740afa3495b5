/**
 * The emojis with web-like captions: a view of an EmojiCollection whose records of one split
 * get alt-text noise (data/caption-noise.ts), and optionally pass through the caption filter
 * first, as a data pipeline would before training. The trainer takes the view as it takes the
 * collection (`data: { kind: "emoji", dataset: view }`); nothing in it knows about noise.
 *
 *   records   a record the filter dropped is gone from every split it was in
 *   sample    a noised record gives its one noisy caption at every draw; the clean caption is
 *             still drawn first, so the sample's Generator is where it would be in the clean
 *             run when the image is augmented next: the two runs differ in captions only
 *
 * One record is one emoji in one drawing style, as the trainer counts them. The filter judges
 * a clean record by its name (the annotation every caption of it contains) and a noised one by
 * its noisy caption; the same emoji in three styles with one caption is one alt-text.
 *
 * Other languages: CLDR's names (emojibase-data) in the locales below, half of them in Latin
 * script, where the filter's heuristic (data/filter.ts) can only catch phrases with foreign
 * function words, half in scripts it always catches. An emoji no locale names (OpenMoji's own
 * extras) is never given this kind.
 *
 * The tokenizer: the trainer builds its vocabulary from the clean names and tags of the
 * records it trains on, never from the noisy captions: a fixed English tokenizer, as a web
 * pipeline has, meets the foreign words and the boilerplate as it finds them.
 */

import type { Generator } from "@duet/tensor";
import { filterAltText, injectCaptionNoise, NOISE_KINDS, type CaptionNoiseSpec, type NoiseKind } from "../caption-noise.js";
import type { CaptionFilterCounts } from "../filter.js";
import { cldrLocaleName } from "./cldr.js";
import { EmojiCollection, type EmojiRecord, type EmojiSample } from "./collection.js";
import type { SplitName } from "./split.js";

/** emojibase-data locales the other-language captions come from: six in Latin script, six not. */
export const NOISE_LOCALES: readonly string[] = ["de", "fr", "es", "it", "nl", "pl", "ja", "zh", "ko", "ru", "th", "hi"];

/** What a run trains on: its captions' noise (null: clean) and whether the filter runs first. */
export interface CaptionDataSpec {
  noise: CaptionNoiseSpec | null;
  filter: boolean;
}

/** Counts of the view, over the records of its split. */
export interface CaptionViewStats {
  records: number;
  noised: number;
  noisedByKind: Record<NoiseKind, number>;
  /** Records left to train on (all of them without the filter). */
  kept: number;
  /** Of the records dropped by the filter: noised ones, by kind, and clean ones (its false positives). */
  removedByKind: Record<NoiseKind, number>;
  removedClean: number;
  /** The filter's own counts, over distinct alt-texts (null without the filter). */
  filterCounts: CaptionFilterCounts | null;
}

const zeroByKind = (): Record<NoiseKind, number> => Object.fromEntries(NOISE_KINDS.map((k) => [k, 0])) as Record<NoiseKind, number>;

/** An EmojiCollection whose `records` and `sample` apply the noise and the filter (file comment). */
class CaptionView extends EmojiCollection {
  constructor(
    base: EmojiCollection,
    /** Per part, per item index: the noisy caption, if any. */
    private readonly noisy: readonly (readonly (string | undefined)[])[],
    /** Per part, per item index: dropped by the filter. */
    private readonly dropped: readonly (readonly boolean[])[],
  ) {
    super(base.parts);
  }

  override records(split: SplitName | "all"): EmojiRecord[] {
    return super.records(split).filter((r) => !this.dropped[r.part]![r.index]);
  }

  override sample(record: EmojiRecord, generator: Generator): EmojiSample {
    const drawn = super.sample(record, generator);
    const caption = this.noisy[record.part]![record.index];
    return caption === undefined ? drawn : { ...drawn, caption };
  }
}

/**
 * The view of `collection` for training on `split` with `spec`; the noise is drawn from `seed`.
 * Returns the collection to train on and its counts.
 */
export function captionView(collection: EmojiCollection, split: SplitName, spec: CaptionDataSpec, seed: number): { collection: EmojiCollection; stats: CaptionViewStats } {
  const records = collection.records(split);
  const itemOf = (r: EmojiRecord) => collection.parts[r.part]!.items[r.index]!;
  const targets = records.map((r) => {
    const item = itemOf(r);
    const foreignNames = NOISE_LOCALES.map((locale) => cldrLocaleName(locale, item.hexcode)).filter((name): name is string => name !== undefined);
    return { base: item.baseHexcode, name: item.annotation, foreignNames };
  });
  const noise = spec.noise === null ? records.map(() => null) : injectCaptionNoise(targets, spec.noise, seed, { captionOf: (j, generator) => collection.parts[records[j]!.part]!.sampleCaption(records[j]!.index, generator) });

  const noisy = collection.parts.map((part) => new Array<string | undefined>(part.length).fill(undefined));
  const dropped = collection.parts.map((part) => new Array<boolean>(part.length).fill(false));
  const stats: CaptionViewStats = { records: records.length, noised: 0, noisedByKind: zeroByKind(), kept: records.length, removedByKind: zeroByKind(), removedClean: 0, filterCounts: null };
  records.forEach((r, k) => {
    const n = noise[k];
    if (n === null || n === undefined) return;
    noisy[r.part]![r.index] = n.caption;
    stats.noised++;
    stats.noisedByKind[n.kind]++;
  });
  if (spec.filter) {
    const { kept, counts } = filterAltText(records.map((r, k) => ({ image: itemOf(r).hexcode, caption: noise[k]?.caption ?? itemOf(r).annotation })));
    stats.filterCounts = counts;
    records.forEach((r, k) => {
      if (kept[k]) return;
      dropped[r.part]![r.index] = true;
      stats.kept--;
      const n = noise[k];
      if (n === null || n === undefined) stats.removedClean++;
      else stats.removedByKind[n.kind]++;
    });
  }
  return { collection: new CaptionView(collection, noisy, dropped), stats };
}
