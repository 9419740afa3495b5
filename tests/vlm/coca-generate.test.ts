/**
 * CoCa's cached generation (packages/vlm/src/model/coca-generate.ts) on the two open_clip CoCa
 * fixtures of tests/vlm/coca-parity.test.ts: the cached decoder's logits equal the uncached
 * decoderLogits (prefixes with padding included: the text tower's legacy mask), cached greedy =
 * the uncached greedyCaption = open_clip's ids for 8 images, one beam = greedy, top-k 1 = greedy,
 * sampling reproducible by seed, and option errors that name the option.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as A from "../../packages/autograd/src/index.js";
import { readSafetensors } from "../../packages/nn/src/node.js";
import type { Tensor } from "../../packages/tensor/src/index.js";
import { CocaTokenScorer, generateCaptions, greedyCaption, loadCheckpoint, stripEnd, timeGreedyCaption, type CoCa } from "../../packages/vlm/src/index.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "coca");
const inputs = readSafetensors(join(FIXTURES, "inputs.safetensors"), { floatDtype: "float64" }).tensors;

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.contiguousData();
  const y = b.contiguousData();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

describe.each(["coca-gelu", "coca-quickgelu"])("cached generation: %s", (name) => {
  const folder = join(FIXTURES, name);
  const meta = JSON.parse(readFileSync(join(folder, "expected.json"), "utf8")) as { sot: number; eot: number; max_length: number; greedy: number[][] };
  const ids = { sotId: meta.sot, eotId: meta.eot, maxLength: meta.max_length };

  describe.each(["float64", "float32"] as const)("%s", (dtype) => {
    const model = loadCheckpoint(folder, { dtype }).model as unknown as CoCa;
    const pixels = inputs.get("pixels")!.to(dtype);
    const tokens = inputs.get("tokens")!; // (4, 12): sot, ids, eot, then pad 0 — the padding exercises the legacy mask

    it("the cache gives the logits of recomputing the whole prefix, at every step", () => {
      const tol = dtype === "float64" ? 1e-12 : 1e-4;
      A.noGrad(() => {
        const imageTokens = model.encodeImageWithTokens(pixels.slice(0, 0, 4)).tokens;
        const full = model.decoderLogits(imageTokens, tokens).value; // (4, 12, vocab)
        const scorer = new CocaTokenScorer(model, imageTokens);
        let worst = 0;
        for (let t = 0; t < tokens.shape[1]!; t++) {
          const step = scorer.logits(Int32Array.from(tokens.select(1, t).contiguousData()));
          worst = Math.max(worst, maxDiff(step, full.select(1, t).contiguous()));
        }
        expect(worst).toBeLessThan(tol);
      });
    });

    if (dtype === "float64") {
      it("cached greedy = uncached greedyCaption = open_clip's ids, for 8 images", () => {
        const cached = generateCaptions(model, pixels, ids);
        expect(cached).toEqual(meta.greedy);
        expect(greedyCaption(model, pixels, ids)).toEqual(cached);
      });
    } else {
      it("cached greedy = uncached greedyCaption in float32 too", () => {
        expect(generateCaptions(model, pixels, ids)).toEqual(greedyCaption(model, pixels, ids));
      });
    }

    it("one beam and top-k 1 are greedy; several beams end every caption within maxLength", () => {
      const greedy = generateCaptions(model, pixels, ids);
      expect(generateCaptions(model, pixels, { ...ids, beams: 1 })).toEqual(greedy);
      expect(generateCaptions(model, pixels, { ...ids, topK: 1, seed: 9 })).toEqual(greedy);
      const beams = generateCaptions(model, pixels, { ...ids, beams: 3 });
      expect(beams).toHaveLength(8);
      for (const caption of beams) {
        expect(caption.length).toBeGreaterThan(0);
        expect(caption.length).toBeLessThanOrEqual(meta.max_length);
        expect(caption.slice(0, -1)).not.toContain(meta.eot);
      }
    });
  });

  it("sampling: the same seed gives the same captions; another seed others; a caption does not depend on its batch", () => {
    const model = loadCheckpoint(folder, { dtype: "float64" }).model as unknown as CoCa;
    const pixels = inputs.get("pixels")!;
    const sample = (seed: number, images = pixels) => generateCaptions(model, images, { ...ids, topP: 0.9, temperature: 1.5, seed });
    const first = sample(1);
    expect(sample(1)).toEqual(first);
    expect([2, 3, 4].some((seed) => JSON.stringify(sample(seed)) !== JSON.stringify(first))).toBe(true);
    expect(sample(1, pixels.slice(0, 0, 3))).toEqual(first.slice(0, 3));
  });
});

describe("generation options", () => {
  const folder = join(FIXTURES, "coca-gelu");
  const model = loadCheckpoint(folder).model as unknown as CoCa;
  const pixels = inputs.get("pixels")!.to("float32").slice(0, 0, 1);
  const ids = { sotId: 62, eotId: 63 };

  it("bad options throw errors naming the option", () => {
    expect(() => generateCaptions(model, pixels, { ...ids, beams: 0 })).toThrow(/generateCaptions: beams must be an integer ≥ 1, got 0/);
    expect(() => generateCaptions(model, pixels, { ...ids, topP: 0 })).toThrow(/topP must be in \(0, 1\], got 0/);
    expect(() => generateCaptions(model, pixels, { ...ids, topP: 1.5 })).toThrow(/topP must be in \(0, 1\], got 1.5/);
    expect(() => generateCaptions(model, pixels, { ...ids, maxLength: 0 })).toThrow(/maxLength must be an integer from 1 to 12/);
    expect(() => generateCaptions(model, pixels, { ...ids, maxLength: 13 })).toThrow(/maxLength must be an integer from 1 to 12/);
    expect(() => generateCaptions(model, pixels, { ...ids, topK: 0 })).toThrow(/topK must be an integer ≥ 1, got 0/);
    expect(() => generateCaptions(model, pixels, { ...ids, temperature: 0 })).toThrow(/temperature must be a finite number > 0/);
    expect(() => generateCaptions(model, pixels, { ...ids, beams: 2, topK: 3 })).toThrow(/beams \(2\) cannot be combined with topK/);
    expect(() => generateCaptions(model, pixels, { sotId: 64, eotId: 63 })).toThrow(/sotId must be a token id in \[0, 63\], got 64/);
  });

  it("maxLength caps the generated ids; stripEnd drops only a final end token", () => {
    for (const caption of generateCaptions(model, inputs.get("pixels")!.to("float32"), { ...ids, maxLength: 2 })) expect(caption.length).toBeLessThanOrEqual(2);
    expect(stripEnd([5, 6, 63], 63)).toEqual([5, 6]);
    expect(stripEnd([5, 6], 63)).toEqual([5, 6]);
  });

  it("timeGreedyCaption (for pnpm bench) runs exactly the asked number of steps", () => {
    const timing = timeGreedyCaption(model, pixels.select(0, 0), { sotId: 62, tokens: 12, repeats: 1 });
    expect(timing.tokens).toBe(12);
    expect(timing.min_ms).toBeGreaterThan(0);
    expect(() => timeGreedyCaption(model, pixels, { sotId: 62, tokens: 13 })).toThrow(/timeGreedyCaption: tokens must be an integer from 1 to 12/);
  });
});
