/**
 * The alt-text noise injector and the filter over it (data/caption-noise.ts): rates honoured
 * to the item, the same seed giving the same noise, each kind's captions what its name says,
 * and the filter taking what it should — every too-short caption, every repeat of a
 * boilerplate phrase, non-Latin names — and passing what a text filter cannot see (another
 * item's caption).
 */

import type { Generator } from "@duet/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BOILERPLATE, EVEN_MIX, filterAltText, injectCaptionNoise, noiseCounts, NOISE_KINDS, type CaptionNoiseSpec, type NoiseKind, type NoiseTarget,
} from "../../packages/vlm/src/data/caption-noise.js";

const RUNS = { numRuns: 60, seed: 17 };

/** n items, `bases` of them distinct, every third with a foreign name in a non-Latin script. */
function targets(n: number, bases = Math.max(2, Math.ceil(n / 2))): NoiseTarget[] {
  return Array.from({ length: n }, (_, i) => ({ base: `b${i % bases}`, name: `thing number ${i}`, foreignNames: i % 3 === 0 ? [`物${i}`, `вещь ${i}`] : [] }));
}

/** A mismatched caption names the item it was taken from (and a draw, so no two are alike). */
const sources = { captionOf: (j: number, generator: Generator) => `a drawing of thing number ${j} (take ${generator.nextInt(1e9)})` };

const spec = fc.record({
  rate: fc.double({ min: 0, max: 1, noNaN: true }),
  mix: fc.record({ boilerplate: fc.nat(4), "too-short": fc.nat(4), "other-language": fc.nat(4), mismatched: fc.nat(4) }).filter((m) => Object.values(m).some((w) => w > 0)),
}) as fc.Arbitrary<CaptionNoiseSpec>;

const countKinds = (noised: ReturnType<typeof injectCaptionNoise>) => {
  const counts = Object.fromEntries(NOISE_KINDS.map((k) => [k, 0])) as Record<NoiseKind, number>;
  for (const n of noised) if (n !== null) counts[n.kind]++;
  return counts;
};

describe("noiseCounts", () => {
  it("round(rate · n) in all, each kind within 1 of its share of the mix, unused kinds 0", () => {
    fc.assert(
      fc.property(fc.nat(5000), spec, (n, s) => {
        const counts = noiseCounts(n, s);
        const total = Math.round(s.rate * n);
        expect(NOISE_KINDS.reduce((a, k) => a + counts[k], 0)).toBe(total);
        const sum = NOISE_KINDS.reduce((a, k) => a + (s.mix[k] ?? 0), 0);
        for (const kind of NOISE_KINDS) {
          const exact = (total * (s.mix[kind] ?? 0)) / sum;
          expect(Math.abs(counts[kind] - exact), `${kind}: ${counts[kind]} vs ${exact}`).toBeLessThan(1);
          if ((s.mix[kind] ?? 0) === 0) expect(counts[kind]).toBe(0);
        }
      }),
      RUNS,
    );
  });

  it("refuses a rate outside [0, 1], an unknown kind, a negative weight, an all-zero mix", () => {
    expect(() => noiseCounts(10, { rate: 1.5, mix: EVEN_MIX })).toThrow(/^noiseCounts: rate must be a number in \[0, 1\], got 1.5$/);
    expect(() => noiseCounts(10, { rate: 0.5, mix: { typos: 1 } as never })).toThrow(/mix: unknown kind "typos"; the kinds are boilerplate, too-short, other-language, mismatched/);
    expect(() => noiseCounts(10, { rate: 0.5, mix: { boilerplate: -1 } })).toThrow(/the weight of boilerplate must be a finite number ≥ 0, got -1/);
    expect(() => noiseCounts(10, { rate: 0.5, mix: {} })).toThrow(/at least one weight must be positive when the rate is 0.5/);
    expect(noiseCounts(10, { rate: 0, mix: {} })).toEqual({ boilerplate: 0, "too-short": 0, "other-language": 0, mismatched: 0 });
  });
});

describe("injectCaptionNoise", () => {
  it("noises exactly the counts of noiseCounts, and each kind's caption is what its name says", () => {
    fc.assert(
      fc.property(fc.integer({ min: 6, max: 300 }), fc.double({ min: 0, max: 1 / 3, noNaN: true }), fc.nat(1000), (n, rate, seed) => {
        const items = targets(n);
        const s: CaptionNoiseSpec = { rate, mix: EVEN_MIX };
        const noised = injectCaptionNoise(items, s, seed, sources);
        expect(noised).toHaveLength(n);
        expect(countKinds(noised)).toEqual(noiseCounts(n, s));
        noised.forEach((x, i) => {
          if (x === null) return;
          if (x.kind === "boilerplate") expect(BOILERPLATE).toContain(x.caption);
          if (x.kind === "too-short") expect(x.caption.trim().length).toBeLessThan(3);
          if (x.kind === "other-language") expect(items[i]!.foreignNames).toContain(x.caption);
          if (x.kind === "mismatched") {
            const from = Number(/thing number (\d+) \(take/.exec(x.caption)![1]);
            expect(items[from]!.base, `item ${i} got the caption of item ${from}`).not.toBe(items[i]!.base);
          }
        });
      }),
      RUNS,
    );
  });

  it("the same seed gives the same noise; another seed, other items", () => {
    const items = targets(400);
    const s: CaptionNoiseSpec = { rate: 0.3, mix: EVEN_MIX };
    const a = injectCaptionNoise(items, s, 3, sources);
    expect(injectCaptionNoise(items, s, 3, sources)).toEqual(a);
    const b = injectCaptionNoise(items, s, 4, sources);
    expect(b).not.toEqual(a);
    expect(countKinds(b)).toEqual(countKinds(a));
  });

  it("other-language noise needs items with a foreign name; mismatched needs two bases", () => {
    const noForeign = targets(30).map((t) => ({ ...t, foreignNames: [] }));
    expect(() => injectCaptionNoise(noForeign, { rate: 0.4, mix: { "other-language": 1 } }, 0, sources)).toThrow(
      /^injectCaptionNoise: other-language: 12 items need a name in another language, but only 0 of 30 have one$/,
    );
    expect(() => injectCaptionNoise(targets(10, 1), { rate: 0.5, mix: { mismatched: 1 } }, 0, sources)).toThrow(/mismatched: no item of another base than "b0"/);
    // rate 1 with the mix's other-language share within the foreign-named third: every item noised
    const all = injectCaptionNoise(targets(90), { rate: 1, mix: EVEN_MIX }, 1, sources);
    expect(all.every((x) => x !== null)).toBe(true);
  });
});

describe("filterAltText over noised items", () => {
  it("takes every too-short caption, every repeat of a boilerplate phrase, every non-Latin name; passes clean and mismatched captions", () => {
    fc.assert(
      fc.property(fc.integer({ min: 6, max: 300 }), fc.double({ min: 0, max: 1 / 3, noNaN: true }), fc.nat(1000), (n, rate, seed) => {
        const items = targets(n);
        const noised = injectCaptionNoise(items, { rate, mix: EVEN_MIX }, seed, sources);
        // the clean caption of item i is its name; every name and mismatched caption is distinct English
        const altTexts = items.map((t, i) => ({ image: `img${i}`, caption: noised[i]?.caption ?? t.name }));
        const { kept, counts } = filterAltText(altTexts);
        const seenBoilerplate = new Set<string>();
        noised.forEach((x, i) => {
          const why = `item ${i}: ${JSON.stringify(altTexts[i]!.caption)} (${x?.kind ?? "clean"})`;
          if (x === null || x.kind === "mismatched") expect(kept[i], why).toBe(true);
          else if (x.kind === "too-short" || x.kind === "other-language") expect(kept[i], why).toBe(false);
          else {
            expect(kept[i], why).toBe(!seenBoilerplate.has(x.caption));
            seenBoilerplate.add(x.caption);
          }
        });
        expect(counts.input).toBe(n);
        expect(counts.kept).toBe(kept.filter(Boolean).length);
      }),
      RUNS,
    );
  });

  it("one image with one caption is one alt-text (three drawing styles of an emoji), whatever its case or spacing", () => {
    const { kept, counts } = filterAltText([
      { image: "1F600", caption: "grinning face" },
      { image: "1F600", caption: "Grinning  face" },
      { image: "1F601", caption: "grinning face" },
      { image: "1F602", caption: "ok" },
      { image: "1F602", caption: "ok" },
      { image: "1F603", caption: "Grinsendes Gesicht" },
      { image: "1F604", caption: "visage souriant avec de grands yeux" },
    ]);
    expect(kept).toEqual([true, true, false, false, false, true, false]);
    expect(counts).toEqual({ input: 5, tooShort: 1, nonEnglish: 1, duplicate: 1, kept: 2 });
  });
});
