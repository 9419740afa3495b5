/**
 * The noisy and filtered view of the emojis (data/openmoji/caption-view.ts), on two drawing
 * "styles" of OpenMoji's first 600 emojis with blank 2-pixel images (the captions are under
 * test, not the drawings): the rate honoured over the split's records, a noised record giving
 * its one caption at every draw, a clean one exactly the collection's caption with the
 * Generator left where the collection leaves it, and the filter's drops gone from `records`.
 */

import { Generator } from "@duet/tensor";
import { describe, expect, it } from "vitest";
import { noiseCounts, NOISE_KINDS, EVEN_MIX, BOILERPLATE } from "../../packages/vlm/src/data/caption-noise.js";
import { captionView, type CaptionDataSpec } from "../../packages/vlm/src/data/openmoji/caption-view.js";
import { EmojiCollection } from "../../packages/vlm/src/data/openmoji/collection.js";
import { OpenMoji } from "../../packages/vlm/src/data/openmoji/dataset.js";
import { openMojiItems } from "../../packages/vlm/src/data/openmoji/metadata.js";

const SIZE = 2;
const items = openMojiItems().slice(0, 600);
const part = (style: "openmoji" | "noto") => new OpenMoji(items, SIZE, new Uint8Array(items.length * SIZE * SIZE * 3), { status: "hit", binPath: "(none)" }, style);
const collection = new EmojiCollection([part("openmoji"), part("noto")]);
const NOISY: CaptionDataSpec = { noise: { rate: 0.5, mix: EVEN_MIX }, filter: false };
const FILTERED: CaptionDataSpec = { noise: { rate: 0.5, mix: EVEN_MIX }, filter: true };
const key = (r: { part: number; index: number }) => `${r.part}/${r.index}`;

describe("captionView", () => {
  const train = collection.records("train");

  it("noises round(rate · n) of the split's records, split by the mix; without the filter it keeps every record", () => {
    const { collection: view, stats } = captionView(collection, "train", NOISY, 0);
    expect(stats.records).toBe(train.length);
    expect(stats.noised).toBe(Math.round(0.5 * train.length));
    expect(stats.noisedByKind).toEqual(noiseCounts(train.length, NOISY.noise!));
    expect(stats.kept).toBe(train.length);
    expect(stats.filterCounts).toBeNull();
    expect(view.records("train")).toEqual(train);
    expect(view.records("test")).toEqual(collection.records("test"));
  });

  it("a noised record gives one caption at every draw; a clean one the collection's caption, its Generator left alike", () => {
    const { collection: view } = captionView(collection, "train", NOISY, 0);
    let noised = 0;
    for (const [k, record] of train.entries()) {
      const draws = [k, k + 1e6, k + 2e6].map((seed) => {
        const viaView = new Generator(seed);
        const viaCollection = new Generator(seed);
        const a = view.sample(record, viaView);
        const b = collection.sample(record, viaCollection);
        // the same drawing: a view of the same bytes of the same part
        expect(a.image.data.buffer).toBe(b.image.data.buffer);
        expect(a.image.data.byteOffset).toBe(b.image.data.byteOffset);
        expect(a.hexcode).toBe(b.hexcode);
        // both drew the same numbers: the augmentation that comes next is the clean run's
        expect(viaView.nextInt(1 << 30)).toBe(viaCollection.nextInt(1 << 30));
        return { view: a.caption, clean: b.caption };
      });
      if (draws.every((d) => d.view === d.clean)) continue;
      noised++;
      expect(new Set(draws.map((d) => d.view)).size, `record ${key(record)}: ${JSON.stringify(draws)}`).toBe(1);
    }
    // a noisy caption can coincide with the clean ones only by chance: nearly all of the half show
    expect(noised).toBeGreaterThan(0.45 * train.length);
    expect(noised).toBeLessThanOrEqual(Math.round(0.5 * train.length));
  });

  it("the same seed gives the same captions; another seed, others", () => {
    const captions = (seed: number) => {
      const { collection: view } = captionView(collection, "train", NOISY, seed);
      return train.map((r, k) => view.sample(r, new Generator(k)).caption);
    };
    expect(captions(5)).toEqual(captions(5));
    expect(captions(6)).not.toEqual(captions(5));
  });

  it("the filter drops its records from every split's records and counts them by kind; the clean ones mostly stay", () => {
    const { collection: view, stats } = captionView(collection, "train", FILTERED, 1);
    const kept = view.records("train");
    expect(kept).toHaveLength(stats.kept);
    const removed = NOISE_KINDS.reduce((a, k) => a + stats.removedByKind[k], 0) + stats.removedClean;
    expect(stats.kept).toBe(train.length - removed);
    expect(view.records("all")).toHaveLength(collection.records("all").length - removed);
    // every too-short caption goes; of the boilerplate at most one record per phrase and emoji stays
    expect(stats.removedByKind["too-short"]).toBe(stats.noisedByKind["too-short"]);
    expect(stats.noisedByKind.boilerplate - stats.removedByKind.boilerplate).toBeLessThanOrEqual(BOILERPLATE.length * 2);
    expect(stats.removedByKind.mismatched).toBeLessThan(0.2 * stats.noisedByKind.mismatched);
    expect(stats.removedClean).toBeLessThan(0.05 * (train.length - stats.noised));
    // what is left trains on its noisy caption, if it had one
    const noisyView = captionView(collection, "train", NOISY, 1).collection;
    const keptKeys = new Set(kept.map(key));
    for (const [k, record] of train.entries()) {
      if (!keptKeys.has(key(record))) continue;
      expect(view.sample(record, new Generator(k)).caption).toBe(noisyView.sample(record, new Generator(k)).caption);
    }
  });

  it("the same emoji drawn in two styles with its clean name is one alt-text: the filter keeps both", () => {
    const { collection: view, stats } = captionView(collection, "train", { noise: null, filter: true }, 0);
    expect(stats.noised).toBe(0);
    const keptKeys = new Set(view.records("train").map(key));
    const both = train.filter((r) => r.part === 0 && keptKeys.has(key(r)) && keptKeys.has(`1/${r.index}`));
    expect(both.length).toBe(train.filter((r) => r.part === 0 && keptKeys.has(key(r))).length);
    expect(stats.removedClean).toBeLessThan(0.02 * train.length);
  });
});
