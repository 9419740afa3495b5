/**
 * The attribute-binding benchmark (data/openmoji/binding.ts, eval/binding.ts): every pair
 * differs only in binding (the same multiset of words, another order), every image is in the
 * split it claims, the scoring is the comparison it says, and an untrained model scores within
 * the binomial noise of 50%.
 */

import { describe, expect, it } from "vitest";
import { Generator, Tensor } from "../../packages/tensor/src/index.js";
import { annotationTwin, bindingPairs, facingOf, swapGenders, swapTones, wordBag } from "../../packages/vlm/src/data/openmoji/binding.js";
import { openMojiItems } from "../../packages/vlm/src/data/openmoji/metadata.js";
import { splitOfBase, SPLIT_NAMES } from "../../packages/vlm/src/data/openmoji/split.js";
import { EMOJI_STYLES } from "../../packages/vlm/src/data/openmoji/styles.js";
import { bindingSet, bindingWins, evaluateBinding, summarizeWins } from "../../packages/vlm/src/eval/binding.js";
import { modelEncoder } from "../../packages/vlm/src/eval/encoder.js";
import { CLIP } from "../../packages/vlm/src/model/clip.js";
import { parseModelConfig } from "../../packages/vlm/src/model/config.js";
import { trainBpe } from "../../packages/vlm/src/tokenizer/trainer.js";
import { tempDir, tinyModel } from "./train-helpers.js";
import * as vlm from "../../packages/vlm/src/index.js";

describe("the binding pairs", () => {
  it("every pair of every split and style has the same words as its twin, in another order", () => {
    let total = 0;
    for (const split of SPLIT_NAMES) {
      for (const style of EMOJI_STYLES) {
        for (const pair of bindingPairs(split, style)) {
          total++;
          expect(pair.twin, `${split} ${style} ${pair.caption}`).not.toBe(pair.caption);
          expect(wordBag(pair.twin), `${pair.caption} / ${pair.twin}`).toEqual(wordBag(pair.caption));
        }
      }
    }
    expect(total).toBeGreaterThan(1000);
  });

  it("every emoji with pairs is in the split it is listed under; the test split has skin tones and facing in OpenMoji and Noto, facing only in Fluent", () => {
    const byHexcode = new Map(openMojiItems().map((item) => [item.hexcode, item]));
    for (const split of SPLIT_NAMES) {
      for (const style of EMOJI_STYLES) {
        for (const pair of bindingPairs(split, style)) expect(splitOfBase(byHexcode.get(pair.hexcode)!.baseHexcode), pair.caption).toBe(split);
      }
    }
    const kinds = (style: (typeof EMOJI_STYLES)[number]) => [...new Set(bindingPairs("test", style).map((p) => p.kind))].sort();
    expect(kinds("openmoji")).toEqual(["facing", "skin tones"]);
    expect(kinds("noto")).toEqual(["facing", "skin tones"]);
    expect(kinds("fluent")).toEqual(["facing"]);
  });

  it("swaps the bindings the annotations give, and nothing else", () => {
    expect(swapTones("handshake: light skin tone, dark skin tone")).toBe("handshake: dark skin tone, light skin tone");
    expect(swapTones("kiss: woman, man, light skin tone")).toBeNull(); // one tone: nothing to swap
    expect(swapTones("handshake: light skin tone, light skin tone")).toBeNull();
    expect(swapGenders("kiss: woman, man, light skin tone, dark skin tone")).toBe("kiss: man, woman, light skin tone, dark skin tone");
    expect(swapGenders("woman and man holding hands: light skin tone, dark skin tone")).toBe("man and woman holding hands: light skin tone, dark skin tone");
    expect(swapGenders("kiss: woman, man")).toBeNull(); // no tones: swapping the people changes nobody
    expect(swapGenders("kiss: man, man, light skin tone, dark skin tone")).toBeNull();
    const annotations = new Set(openMojiItems().map((item) => item.annotation));
    expect(facingOf("person walking", annotations)).toBe("left");
    expect(facingOf("person walking: dark skin tone", annotations)).toBe("left");
    expect(facingOf("person walking: dark skin tone, facing right", annotations)).toBe("right");
    expect(facingOf("grinning face", annotations)).toBeNull();
    expect(annotationTwin("person walking: facing right", annotations)).toBe("person walking");
    expect(annotationTwin("person walking: dark skin tone", annotations)).toBe("person walking: dark skin tone, facing right");
    expect(annotationTwin("grinning face", annotations)).toBeNull();
  });

  it("a gender pair comes with its reordered partner, so preferring one order of the people scores 50%", () => {
    const genders = bindingPairs("train", "openmoji").filter((p) => p.kind === "genders");
    expect(genders.length).toBeGreaterThan(0);
    const womanFirst = (text: string) => /(: woman, man|^woman and man)/.test(text);
    // a model that always picks the "woman, man" order
    const wins = genders.map((p) => (womanFirst(p.caption) ? 1 : 0));
    expect(summarizeWins(wins).score).toBe(0.5);
  });
});

describe("the public surface", () => {
  it("@duet/vlm exports the benchmark, its scorer and the lessons' caption tools", () => {
    expect(vlm.bindingPairs("test", "openmoji")).toEqual(bindingPairs("test", "openmoji"));
    for (const name of ["annotationTwin", "bindingItems", "bindingSet", "bindingWins", "evaluateBinding", "summarizeWins", "captionTwin", "swapWordOrder", "injectCaptionNoise", "filterAltText"] as const) {
      expect(typeof vlm[name], name).toBe("function");
    }
    expect(vlm.BINDING_KINDS).toEqual(["skin tones", "genders", "facing"]);
  });
});

describe("the binding score", () => {
  it("counts a pair won when the image is closer to its caption than to the twin, a tie as half", () => {
    const images = new Tensor(new Float32Array([1, 0, 0, 1]), [2, 2]);
    const captions = new Tensor(new Float32Array([1, 0, 0, 1, 0.6, 0.8]), [3, 2]);
    const twins = new Tensor(new Float32Array([0, 1, 1, 0, 0.6, 0.8]), [3, 2]);
    expect(bindingWins(images, captions, twins, [0, 0, 1])).toEqual([1, 0, 0.5]);
    const s = summarizeWins([1, 0, 0.5]);
    expect(s.score).toBe(0.5);
    expect(s.chanceSe).toBeCloseTo(Math.sqrt(0.25 / 3), 12);
    expect(s.z).toBe(0);
  });

  it("an untrained model scores within the binomial noise of 50% on OpenMoji's test pairs, its images from the test split", { timeout: 60_000 }, async () => {
    const set = await bindingSet(16, "test", "openmoji", { cacheDir: tempDir("binding-cache") });
    expect(set.pairs.length).toBe(130);
    set.pairs.forEach((pair, p) => {
      const item = set.openMoji.items[set.imageOf[p]!]!;
      expect(item.hexcode).toBe(pair.hexcode);
      expect(splitOfBase(item.baseHexcode)).toBe("test");
    });
    const tokenizer = trainBpe(set.pairs.flatMap((p) => [p.caption, p.twin]), { vocabSize: 600 });
    for (const seed of [0, 1, 2]) {
      const json = tinyModel({ text: { vocab_size: 600, context_length: 24 } });
      json["duet"] = {};
      const model = new CLIP(parseModelConfig(json), { generator: new Generator(seed) });
      const { record } = await evaluateBinding(modelEncoder(model, tokenizer), set);
      expect(record["binding_n"]).toBe(130);
      expect(Math.abs(record["binding_z"] as number), `seed ${seed}: score ${record["binding"]}, z ${record["binding_z"]}`).toBeLessThan(2);
    }
  });
});
