/**
 * Three drawing styles of the same emojis (data/openmoji/styles.ts, collection.ts): every
 * style's drawings resolve to OpenMoji's hexcodes, the one split by base emoji holds in every
 * style and skin tone, and concept sampling gives every base concept its share of an epoch.
 * Rasterising uses a handful of emojis.
 */

import { describe, expect, it } from "vitest";
import { Generator } from "../../packages/tensor/src/index.js";
import {
  EMOJI_STYLES,
  EmojiCollection,
  loadEmojiCollection,
  normalizeHexcode,
  openMojiItems,
  splitOfBase,
  styleHas,
  styleSvg,
  type EmojiStyle,
} from "../../packages/vlm/src/index.js";
import { tempDir } from "./train-helpers.js";

const items = openMojiItems();

describe("styles", () => {
  it.each(["noto", "fluent"] as const)("every %s drawing of an OpenMoji emoji is a standalone SVG, and the style covers most emojis", (style) => {
    const covered = items.filter((item) => styleHas(style, item.hexcode));
    // measured with the pinned packages: noto 1.2.9 draws 3,707 of OpenMoji's 4,495, fluent-emoji-flat 1.2.6 3,139
    expect(covered.length).toBeGreaterThan(3000);
    for (const item of covered) {
      const { svg } = styleSvg(style, item.hexcode);
      expect(typeof svg === "string" && svg.startsWith("<svg ") && svg.endsWith("</svg>") && /viewBox="[-\d. ]+"/.test(svg), `${style} ${item.hexcode}`).toBe(true);
    }
    // what a style does not draw is OpenMoji's own extras and flags, or a skin-tone combination
    const missing = items.filter((item) => !styleHas(style, item.hexcode));
    const explained = missing.filter((item) => item.group.startsWith("extras-") || item.group === "flags" || item.group === "component" || item.skintone !== "" || item.hexcode.includes("200D"));
    expect(explained.length / missing.length).toBeGreaterThan(0.95);
  });

  it("hexcodes compare without U+FE0F and in upper case", () => {
    expect(normalizeHexcode("2764-fe0f")).toBe("2764");
    expect(normalizeHexcode("1F3F3-FE0F-200D-1F308")).toBe("1F3F3-200D-1F308");
    const heart = items.find((item) => item.hexcode.startsWith("2764") && item.annotation === "red heart")!;
    for (const style of EMOJI_STYLES) expect(styleHas(style, heart.hexcode), style).toBe(true);
  });

  it("asking for a drawing a style lacks is an error that names the style and the emoji", () => {
    const extra = items.find((item) => item.group === "extras-openmoji")!;
    expect(() => styleSvg("noto", extra.hexcode)).toThrow(new RegExp(`Noto Emoji has no drawing of emoji ${extra.hexcode}`));
  });
});

const HANDFUL = ["1F600", "1F44B", "1F44B-1F3FB", "1F44B-1F3FF", "2764", "1F436", "1F697", "E000"];

describe("a collection of styles", () => {
  it("loads each style's drawings of the emojis it has, each record knowing its style", async () => {
    const collection = await loadEmojiCollection({ hexcodes: HANDFUL, resolution: 16, cacheDir: tempDir("styles-cache") });
    expect(collection.styles).toEqual(["openmoji", "noto", "fluent"]);
    expect(collection.part("openmoji")!.length).toBe(HANDFUL.length);
    // E000 is one of OpenMoji's own extras: the other styles have no drawing of it
    expect(collection.part("noto")!.items.map((item) => item.hexcode)).not.toContain("E000");
    const generator = new Generator(1);
    const samples = collection.records("all").map((record) => collection.sample(record, generator));
    expect(new Set(samples.map((s) => s.style))).toEqual(new Set<EmojiStyle>(["openmoji", "noto", "fluent"]));
    for (const s of samples) expect(s.image.width * s.image.height).toBe(256);
    // the same emoji looks different in two styles
    const grin = (style: EmojiStyle) => samples.find((s) => s.style === style && s.hexcode === "1F600")!.image.data;
    expect(Buffer.compare(Buffer.from(grin("openmoji")), Buffer.from(grin("noto")))).not.toBe(0);
  });

  it("holds an emoji out of training in every style and skin tone: the training records enumerated", async () => {
    const collection = await loadEmojiCollection({ resolution: 4, cacheDir: tempDir("styles-cache"), limit: 400 });
    const train = collection.records("train");
    expect(train.length).toBeGreaterThan(0);
    const heldOutBases = new Set(items.filter((item) => splitOfBase(item.baseHexcode) !== "train").map((item) => item.baseHexcode));
    for (const record of train) {
      const item = collection.parts[record.part]!.items[record.index]!;
      expect(heldOutBases.has(item.baseHexcode), `${collection.parts[record.part]!.style} ${item.hexcode}`).toBe(false);
    }
    for (const split of ["val", "test"] as const) {
      for (const record of collection.records(split)) expect(splitOfBase(collection.parts[record.part]!.items[record.index]!.baseHexcode)).toBe(split);
    }
  }, 120_000);
});

describe("sampling by concept", () => {
  /** Draws of one epoch (each k once, as the loader does), counted per base concept. */
  function epochCounts(collection: EmojiCollection, sampling: "uniform" | "concept"): Map<string, number> {
    const dataset = collection.captionDataset("all", sampling);
    const counts = new Map<string, number>();
    for (let k = 0; k < dataset.length; k++) {
      const sample = dataset.get(k, { generator: new Generator(k), epoch: 0, position: k }) as { hexcode: string };
      const base = items.find((item) => item.hexcode === sample.hexcode)!.baseHexcode;
      counts.set(base, (counts.get(base) ?? 0) + 1);
    }
    return counts;
  }

  it("gives every base concept the same share of an epoch, where uniform sampling favours skin-tone-rich ones", async () => {
    const collection = await loadEmojiCollection({ hexcodes: HANDFUL, styles: ["openmoji"], resolution: 4, cacheDir: tempDir("styles-cache") });
    // 8 records, 6 concepts: waving hand has 3 records (base + 2 tones)
    const uniform = epochCounts(collection, "uniform");
    expect(uniform.get("1F44B")).toBe(3);
    expect(uniform.get("1F600")).toBe(1);
    const concept = epochCounts(collection, "concept");
    const shares = [...concept.values()];
    expect(shares.reduce((a, b) => a + b, 0)).toBe(HANDFUL.length);
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    expect(concept.size).toBe(collection.concepts("all").length);
  });

  it("is seeded: the same generator draws the same variant, style and caption", async () => {
    const collection = await loadEmojiCollection({ hexcodes: HANDFUL, resolution: 4, cacheDir: tempDir("styles-cache") });
    const dataset = collection.captionDataset("all", "concept");
    const draw = () => Array.from({ length: dataset.length }, (_, k) => {
      const s = dataset.get(k, { generator: new Generator(100 + k), epoch: 0, position: k }) as { hexcode: string; style: string; caption: string };
      return `${s.style}:${s.hexcode}:${s.caption}`;
    });
    expect(draw()).toEqual(draw());
  });
});

describe("training on the styles", () => {
  it("dataset ids: openmoji, noto, fluent and emoji, with a split", async () => {
    const { dataSpec, oneStyle } = await import("../../packages/vlm/src/cli/inputs.js");
    expect(dataSpec("train", "emoji", "train")).toEqual({ kind: "openmoji", split: "train", id: "emoji", styles: ["openmoji", "noto", "fluent"] });
    expect(dataSpec("eval", "Noto:test", "train")).toEqual({ kind: "openmoji", split: "test", id: "noto", styles: ["noto"] });
    expect(dataSpec("train", "pairs.csv", "train")).toEqual({ kind: "file", path: "pairs.csv" });
    expect(() => dataSpec("eval", "fluent:dev", "test")).toThrow(/the split must be train, val, test or all, got "dev"/);
    expect(() => oneStyle("eval zeroshot", dataSpec("eval zeroshot", "emoji:test", "test") as never)).toThrow(/holds three drawing styles; give one: openmoji, noto or fluent \(e\.g\. noto:test\)/);
  });

  it("trainClip trains on several styles with the drawing augmentation, and says so in its settings", async () => {
    const { trainClip } = await import("../../packages/vlm/src/index.js");
    const { tinyRun } = await import("./train-helpers.js");
    const options = await tinyRun(tempDir("emoji-run"), { steps: 3 });
    const result = await trainClip({
      ...options,
      data: { kind: "emoji", hexcodes: HANDFUL, split: "all", cacheDir: tempDir("styles-cache") },
      augment: { scale: [0.5, 1], degrees: 10, translate: 0.05, background: 0.5 },
    });
    expect(result.steps).toBe(3);
    expect(result.finalLoss).not.toBeNull();
    expect(result.run.data).toMatch(/^emoji:all \(\d+ drawings: openmoji 8, noto 7, fluent 7; at 16px, sampled uniformly\)$/);
    expect(result.run.augment).toEqual([0.5, 1]);
    expect(result.run.drawing).toEqual({ degrees: 10, translate: 0.05, background: 0.5 });
  });
});
