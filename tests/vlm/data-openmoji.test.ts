/**
 * OpenMoji's metadata side: the split (deterministic, by base emoji, skin-tone variants with
 * their base), the caption rule (annotation and tags only, never group or subgroup names), the
 * zero-shot classes and the attribution. No rasterising here (see data-openmoji-raster).
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Generator } from "../../packages/tensor/src/index.js";
import { describe, expect, it } from "vitest";
import {
  baseHexcode,
  CAPTION_TEMPLATES,
  OPENMOJI_ATTRIBUTION,
  OPENMOJI_ATTRIBUTION_MARKDOWN,
  openMojiClasses,
  OpenMojiCaptioner,
  openMojiItems,
  openMojiVersion,
  ownTags,
  splitOfBase,
  splitOpenMoji,
  subgroupWords,
  writeSplitJson,
  ZERO_SHOT_TEMPLATES,
  type OpenMojiItem,
  type SplitName,
} from "../../packages/vlm/src/data/index.js";
import { tempFolder } from "./data-helpers.js";

const items = openMojiItems();
const byHexcode = new Map(items.map((item) => [item.hexcode, item]));

describe("OpenMoji metadata", () => {
  it("is OpenMoji 17 with 4,495 emojis, unique hexcodes, each with a group and subgroup", () => {
    expect(openMojiVersion()).toBe("17.0.0");
    expect(items.length).toBe(4495);
    expect(byHexcode.size).toBe(items.length);
    for (const item of items) expect(item.annotation.length * item.group.length * item.subgroup.length).toBeGreaterThan(0);
  });

  it("baseHexcode: OpenMoji's base when given, else the hexcode without skin-tone modifiers", () => {
    expect(baseHexcode("1F44B-1F3FB")).toBe("1F44B");
    expect(baseHexcode("1F468-1F3FF-200D-1F33E")).toBe("1F468-200D-1F33E");
    expect(baseHexcode("1F3FB")).toBe("1F3FB"); // a bare swatch is its own base
    expect(baseHexcode("1FAF1-1F3FB-200D-1FAF2-1F3FC", "1F91D")).toBe("1F91D");
    const variants = items.filter((item) => item.skintone !== "");
    expect(variants.length).toBe(2030);
    for (const variant of variants) {
      expect(byHexcode.has(variant.baseHexcode)).toBe(true);
      expect(variant.baseHexcode).not.toBe(variant.hexcode);
    }
  });
});

describe("the split by base emoji", () => {
  const split = splitOpenMoji(items);
  const splitOf = new Map<string, SplitName>();
  for (const name of ["train", "val", "test"] as const) for (const hexcode of split[name]) splitOf.set(hexcode, name);

  it("puts every emoji in exactly one split", () => {
    const all = [...split.train, ...split.val, ...split.test];
    expect(all.length).toBe(items.length);
    expect(new Set(all).size).toBe(items.length);
  });

  it("is deterministic and independent of the items' order", () => {
    expect(splitOpenMoji(items)).toEqual(split);
    const reversed = splitOpenMoji([...items].reverse());
    for (const name of ["train", "val", "test"] as const) expect(new Set(reversed[name])).toEqual(new Set(split[name]));
  });

  it("keeps skin-tone variants with their base, so no base emoji is in two splits", () => {
    const splitsOfBase = new Map<string, Set<SplitName>>();
    for (const item of items) {
      const set = splitsOfBase.get(item.baseHexcode) ?? new Set();
      set.add(splitOf.get(item.hexcode)!);
      splitsOfBase.set(item.baseHexcode, set);
      if (item.skintone !== "") expect(splitOf.get(item.hexcode)).toBe(splitOf.get(item.baseHexcode));
    }
    for (const set of splitsOfBase.values()) expect(set.size).toBe(1);
  });

  it("is about 80/10/10 over base emojis", () => {
    const bases = [...new Set(items.map((item) => item.baseHexcode))];
    const share = (name: SplitName) => bases.filter((base) => splitOfBase(base) === name).length / bases.length;
    expect(share("train")).toBeGreaterThan(0.77);
    expect(share("train")).toBeLessThan(0.83);
    expect(share("val")).toBeGreaterThan(0.08);
    expect(share("test")).toBeGreaterThan(0.08);
  });

  it("honours other fractions, and split.json holds the three lists", () => {
    const half = splitOpenMoji(items, { train: 0.5, val: 0.25 });
    expect(half.train.length / items.length).toBeGreaterThan(0.4);
    expect(() => splitOpenMoji(items, { train: 0.9, val: 0.2 })).toThrow(/train \+ val <= 1/);
    const path = join(tempFolder("split").dir, "split.json");
    writeSplitJson(path, split);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ train: split.train, val: split.val, test: split.test });
  });
});

describe("captions: annotation and tags, never group or subgroup names", () => {
  const captioner = new OpenMojiCaptioner(items);

  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  /**
   * Splits a caption back into the template and the tags it was made of, given the tags the
   * rule allows; null if it is no template filled with the annotation and allowed tags.
   */
  function parse(item: OpenMojiItem, caption: string, allowed: Set<string>): { template: number; tags: string[] } | null {
    for (let t = 0; t < CAPTION_TEMPLATES.length; t++) {
      const pattern = escapeRegExp(CAPTION_TEMPLATES[t]!.text).replace("\\{name\\}", escapeRegExp(item.annotation)).replaceAll("\\{tag\\}", "(.+)");
      const match = new RegExp(`^${pattern}$`, "u").exec(caption);
      if (match !== null && match.slice(1).every((tag) => allowed.has(tag))) return { template: t, tags: match.slice(1) };
    }
    return null;
  }

  /** The tags the rule allows: the item's own (Unicode's, OpenMoji's, CLDR's), or — when it has none — its skin-tone base's. */
  function allowedTags(item: OpenMojiItem): Set<string> {
    const own = [...item.tags, ...item.openmojiTags, ...item.keywords];
    const base = byHexcode.get(item.baseHexcode)!;
    return new Set(own.length > 0 ? own : [...base.tags, ...base.openmojiTags, ...base.keywords]);
  }

  const words = (text: string) => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const categoryWords = (item: OpenMojiItem) => new Set([...words(item.group), ...words(item.subgroup)]);

  it("the templates' fixed words are no group or subgroup word", () => {
    const categoryWords = new Set(items.flatMap((item) => [...words(item.group), ...words(item.subgroup)]));
    const fixed = CAPTION_TEMPLATES.flatMap((t) => words(t.text.replaceAll("{name}", "").replaceAll("{tag}", "")));
    expect(fixed.length).toBeGreaterThan(0);
    for (const word of fixed) expect(categoryWords.has(word)).toBe(false);
  });

  it("every caption of every emoji is a template filled with its annotation and distinct allowed tags", () => {
    const generator = new Generator(123);
    const problems: string[] = [];
    for (const item of items) {
      const allowed = allowedTags(item);
      for (let draw = 0; draw < 3; draw++) {
        const caption = captioner.sample(item, generator);
        const tags = parse(item, caption, allowed)?.tags ?? null;
        if (tags === null || tags.length > 2 || new Set(tags).size !== tags.length) {
          problems.push(`${item.hexcode}: ${JSON.stringify(caption)} is not a template with the annotation and distinct allowed tags`);
          continue;
        }
        // So a word of the group or subgroup name appears only where the annotation or a chosen tag has it.
        const source = new Set(words([item.annotation, ...tags].join(" ")));
        const category = categoryWords(item);
        for (const word of words(caption)) {
          if (category.has(word) && !source.has(word)) problems.push(`${item.hexcode}: ${JSON.stringify(caption)} has category word "${word}"`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("an emoji whose annotation and tags hold no word of its subgroup never gets one in a caption", () => {
    const generator = new Generator(0);
    const unnamed = items.filter((item) => {
      const source = new Set(words([item.annotation, ...allowedTags(item)].join(" ")));
      return words(item.subgroup).every((word) => !source.has(word));
    });
    expect(unnamed.length).toBeGreaterThan(1000);
    const problems: string[] = [];
    for (const item of unnamed) {
      for (let i = 0; i < 3; i++) {
        const caption = captioner.sample(item, generator);
        const captionWords = new Set(words(caption));
        if (words(item.subgroup).some((word) => captionWords.has(word))) problems.push(`${item.hexcode} (${item.subgroup}): ${caption}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("tag pools: own tags and CLDR keywords deduplicated without the annotation; variants take their base's keywords", () => {
    const grinning = byHexcode.get("1F600")!;
    expect(ownTags(grinning).slice(0, 11)).toEqual(["cheerful", "cheery", "face", "grin", "grinning", "happy", "laugh", "nice", "smile", "smiling", "teeth"]);
    expect(new Set(ownTags(grinning).map((t) => t.toLowerCase())).size).toBe(ownTags(grinning).length);
    const wave = byHexcode.get("1F44B")!;
    expect(wave.keywords).toEqual(expect.arrayContaining(["bye", "hello", "wave"]));
    const variant = byHexcode.get("1F44B-1F3FB")!;
    expect(variant.tags).toEqual([]);
    expect(variant.keywords).toEqual(wave.keywords);
    expect(captioner.tagPool(variant)).toEqual(ownTags(variant));
    expect(ownTags(variant)).toContain("wave");
  });

  it("counts the distinct captions an emoji can get: templates × ordered choices of its tags", () => {
    const grinning = byHexcode.get("1F600")!;
    const n = captioner.tagPool(grinning).length;
    const expected = CAPTION_TEMPLATES.reduce((sum, t) => sum + (t.tags === 0 ? 1 : t.tags === 1 ? n : n * (n - 1)), 0);
    expect(captioner.distinctCaptions(grinning)).toBe(expected);
    const generator = new Generator(5);
    const seen = new Set(Array.from({ length: 20000 }, () => captioner.sample(grinning, generator)));
    expect(seen.size).toBeLessThanOrEqual(expected);
    expect(seen.size, "20,000 draws find most of the captions").toBeGreaterThan(0.9 * expected);
  });

  it("sampling is deterministic for a generator and uses every template", () => {
    const item = byHexcode.get("1F600")!;
    const draw = (seed: number) => {
      const generator = new Generator(seed);
      return Array.from({ length: 200 }, () => captioner.sample(item, generator));
    };
    expect(draw(7)).toEqual(draw(7));
    const allowed = allowedTags(item);
    const used = new Set(draw(7).map((c) => parse(item, c, allowed)?.template));
    expect([...used].sort((a, b) => a! - b!)).toEqual(CAPTION_TEMPLATES.map((_, t) => t));
  });
});

describe("zero-shot classes and attribution", () => {
  it("the subgroups as words, one label per item", () => {
    expect(subgroupWords("animal-mammal")).toBe("animal mammal");
    const { classes, labels } = openMojiClasses(items);
    expect(classes.length).toBe(119);
    expect(classes).toContain("animal mammal");
    expect(items.filter((item, i) => classes[labels[i]!] !== subgroupWords(item.subgroup))).toEqual([]);
    for (const template of ZERO_SHOT_TEMPLATES) expect(template).toContain("{}");
  });

  it("credits OpenMoji under CC BY-SA 4.0", () => {
    for (const text of [OPENMOJI_ATTRIBUTION, OPENMOJI_ATTRIBUTION_MARKDOWN]) {
      expect(text).toContain("OpenMoji");
      expect(text).toContain("CC BY-SA 4.0");
      expect(text).toContain("https://openmoji.org/");
    }
  });
});
