/**
 * The captioning metrics against pycocoevalcap 1.2 (tests/fixtures/caption-metrics.json,
 * written by tools/caption-metrics-fixture.py), and their laws as properties:
 *   - every corpus and per-image BLEU-1…4, ROUGE-L and CIDEr-D equals pycocoevalcap's to
 *     1e-12 relative (both sides do the same float operations; only the order of a sum or an
 *     ulp of exp/pow/log may differ), and exact zeros stay exact;
 *   - the tokenizer gives the fixture's tokens for its raw strings;
 *   - a candidate equal to its only reference scores BLEU-4 = 1 (up to pycocoevalcap's
 *     smoothing constants, when it has a 4-gram) and ROUGE-L = 1 exactly;
 *   - BLEU and ROUGE-L lie in [0, 1], CIDEr-D in [0, 10];
 *   - permuting the images permutes the per-image scores and leaves the corpus scores unchanged;
 *   - bad input throws an error naming the function and the argument.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bleu, captionMetrics, captionMetricsOfTokens, ciderD, rougeL, tokenizeCaption, type CaptionTokens } from "../../packages/vlm/src/index.js";

interface Corpus {
  name: string;
  candidates_raw: string[];
  references_raw: string[][];
  candidates: string[];
  references: string[][];
  bleu: number[];
  bleu_per_image: number[][];
  rouge_l: number;
  rouge_l_per_image: number[];
  cider_d: number;
  cider_d_per_image: number[];
}

interface Fixture {
  reference: { package: string; version: string };
  tokenizer_cases: { text: string; tokens: string[] }[];
  corpora: Corpus[];
}

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "..", "fixtures", "caption-metrics.json"), "utf8")) as Fixture;

const RELATIVE = 1e-12;

/** |actual - expected| ≤ RELATIVE · max(|actual|, |expected|): zeros must be exact. */
function expectClose(actual: number, expected: number, what: string): void {
  const error = Math.abs(actual - expected);
  const bound = RELATIVE * Math.max(Math.abs(actual), Math.abs(expected));
  if (!(error <= bound)) expect.fail(`${what}: Duet ${actual}, pycocoevalcap ${expected}, |diff| ${error} > ${bound} (relative ${RELATIVE})`);
}

/** pycocoevalcap's caption string back to tokens: "" is a caption of no tokens. */
const splitTokens = (caption: string): string[] => (caption === "" ? [] : caption.split(" "));

describe("caption metrics: pycocoevalcap fixture", () => {
  it("records the reference it came from", () => {
    expect(fixture.reference.package).toBe("pycocoevalcap");
    expect(fixture.reference.version).toMatch(/^1\.2/);
    expect(fixture.corpora.map((c) => c.name)).toContain("edge-cases");
  });

  it.each(fixture.tokenizer_cases.map((c) => [JSON.stringify(c.text), c] as const))("tokenizeCaption(%s)", (_, { text, tokens }) => {
    expect(tokenizeCaption(text)).toEqual(tokens);
  });

  describe.each(fixture.corpora.map((c) => [c.name, c] as const))("corpus %s", (_, corpus) => {
    const candidates = corpus.candidates.map(splitTokens);
    const references = corpus.references.map((refs) => refs.map(splitTokens));

    it("tokenizes the raw captions to the tokens pycocoevalcap scored", () => {
      expect(corpus.candidates_raw.map(tokenizeCaption)).toEqual(candidates);
      expect(corpus.references_raw.map((refs) => refs.map(tokenizeCaption))).toEqual(references);
    });

    it("BLEU-1…4 corpus and per image", () => {
      const result = bleu(candidates, references);
      corpus.bleu.forEach((expected, k) => expectClose(result.corpus[k]!, expected, `BLEU-${k + 1}`));
      expect(result.perImage).toHaveLength(candidates.length);
      corpus.bleu_per_image.forEach((scores, i) => scores.forEach((expected, k) => expectClose(result.perImage[i]![k]!, expected, `image ${i} BLEU-${k + 1}`)));
    });

    it("ROUGE-L corpus and per image", () => {
      const result = rougeL(candidates, references);
      expectClose(result.corpus, corpus.rouge_l, "ROUGE-L");
      corpus.rouge_l_per_image.forEach((expected, i) => expectClose(result.perImage[i]!, expected, `image ${i} ROUGE-L`));
    });

    it("CIDEr-D corpus and per image", () => {
      const result = ciderD(candidates, references);
      expectClose(result.corpus, corpus.cider_d, "CIDEr-D");
      corpus.cider_d_per_image.forEach((expected, i) => expectClose(result.perImage[i]!, expected, `image ${i} CIDEr-D`));
    });

    it("captionMetrics on the raw strings gives the same corpus scores", () => {
      const m = captionMetrics(corpus.candidates_raw, corpus.references_raw);
      expect(m.n).toBe(candidates.length);
      [m.bleu1, m.bleu2, m.bleu3, m.bleu4].forEach((v, k) => expectClose(v, corpus.bleu[k]!, `BLEU-${k + 1}`));
      expectClose(m.rougeL, corpus.rouge_l, "ROUGE-L");
      expectClose(m.ciderD, corpus.cider_d, "CIDEr-D");
    });
  });
});

const RUNS = { numRuns: 100, seed: 16 };
const VOCABULARY = ["a", "the", "dog", "cat", "red", "runs", "on", "grass", "mat", "big"];
const caption = (minLength = 0, maxLength = 10) => fc.array(fc.constantFrom(...VOCABULARY), { minLength, maxLength });
const image = fc.record({ candidate: caption(), references: fc.array(caption(), { minLength: 1, maxLength: 4 }) });
const images = fc.array(image, { minLength: 1, maxLength: 12 });

const scoresOf = (candidates: CaptionTokens[], references: CaptionTokens[][]) => ({
  bleu: bleu(candidates, references),
  rougeL: rougeL(candidates, references),
  ciderD: ciderD(candidates, references),
});

describe("caption metrics: laws", () => {
  it("a candidate equal to its only reference: BLEU-4 = 1 (4 tokens or more) and ROUGE-L = 1", () => {
    fc.assert(
      fc.property(fc.array(caption(4, 12), { minLength: 1, maxLength: 8 }), (captions) => {
        const references = captions.map((c) => [c]);
        const b = bleu(captions, references);
        // pycocoevalcap's smoothing: each precision is (g + 1e-15) / (g + 1e-9), a hair under 1
        for (const score of [...b.corpus, ...b.perImage.flat()]) expect(Math.abs(score - 1)).toBeLessThan(1e-8);
        const r = rougeL(captions, references);
        expect(r.corpus).toBe(1);
        expect(r.perImage.every((v) => v === 1)).toBe(true);
      }),
      RUNS,
    );
  });

  it("BLEU and ROUGE-L lie in [0, 1], CIDEr-D in [0, 10], corpus and per image", () => {
    fc.assert(
      fc.property(images, (set) => {
        const s = scoresOf(
          set.map((x) => x.candidate),
          set.map((x) => x.references),
        );
        const inRange = (v: number, hi: number) => Number.isFinite(v) && v >= 0 && v <= hi;
        for (const v of [...s.bleu.corpus, ...s.bleu.perImage.flat(), s.rougeL.corpus, ...s.rougeL.perImage]) expect(inRange(v, 1), `${v}`).toBe(true);
        for (const v of [s.ciderD.corpus, ...s.ciderD.perImage]) expect(inRange(v, 10), `${v}`).toBe(true);
      }),
      RUNS,
    );
  });

  it("permuting the images permutes the per-image scores and leaves the corpus scores unchanged", () => {
    const setAndPermutation = images.chain((set) =>
      fc.tuple(
        fc.constant(set),
        fc.shuffledSubarray(
          set.map((_, i) => i),
          { minLength: set.length, maxLength: set.length },
        ),
      ),
    );
    fc.assert(
      fc.property(setAndPermutation, ([set, order]) => {
        const a = scoresOf(
          set.map((x) => x.candidate),
          set.map((x) => x.references),
        );
        const b = scoresOf(
          order.map((i) => set[i]!.candidate),
          order.map((i) => set[i]!.references),
        );
        // BLEU's corpus score is built from integer sums: exactly equal
        expect(b.bleu.corpus).toEqual(a.bleu.corpus);
        expectClose(b.rougeL.corpus, a.rougeL.corpus, "ROUGE-L after permutation");
        expectClose(b.ciderD.corpus, a.ciderD.corpus, "CIDEr-D after permutation");
        order.forEach((i, j) => {
          expect(b.bleu.perImage[j]).toEqual(a.bleu.perImage[i]);
          expect(b.rougeL.perImage[j]).toBe(a.rougeL.perImage[i]);
          expect(b.ciderD.perImage[j]).toBe(a.ciderD.perImage[i]);
        });
      }),
      RUNS,
    );
  });

  it("captionMetrics equals the metrics of the tokenized captions", () => {
    const raw = ["A dog runs on the grass.", "The cat's mat"];
    const refs = [["a dog running on grass", "A big dog, on the grass!"], ["the cat's red mat"]];
    expect(captionMetrics(raw, refs)).toEqual(captionMetricsOfTokens(raw.map(tokenizeCaption), refs.map((r) => r.map(tokenizeCaption))));
  });
});

describe("caption metrics: bad input", () => {
  const ok = [["a", "dog"]];
  const okRefs = [[["a", "dog"]]];
  const tokenFunctions = [
    ["bleu", (c: CaptionTokens[], r: CaptionTokens[][]) => bleu(c, r)],
    ["rougeL", (c: CaptionTokens[], r: CaptionTokens[][]) => rougeL(c, r)],
    ["ciderD", (c: CaptionTokens[], r: CaptionTokens[][]) => ciderD(c, r)],
  ] as const;

  it.each(tokenFunctions)("%s names itself and the argument", (name, fn) => {
    expect(() => fn([...ok, ["a"]], okRefs)).toThrow(new RegExp(`^${name}: candidates has 2 captions but references has 1 images`));
    expect(() => fn([...ok, ["a"]], [...okRefs, []])).toThrow(new RegExp(`^${name}: references\\[1\\] has no reference caption`));
    expect(() => fn([], [])).toThrow(new RegExp(`^${name}: candidates and references are empty`));
    expect(() => fn([["a dog"]], okRefs)).toThrow(new RegExp(`^${name}: candidates\\[0\\]\\[0\\] is "a dog": expected a non-empty token`));
    expect(() => fn(ok, [[["a", ""]]])).toThrow(new RegExp(`^${name}: references\\[0\\]\\[0\\]\\[1\\] is "": expected a non-empty token`));
  });

  it("captionMetrics names itself and the argument", () => {
    expect(() => captionMetrics(["a dog", "a cat"], [["a dog"]])).toThrow(/^captionMetrics: candidates has 2 captions but references has 1 images/);
    expect(() => captionMetrics(["a dog", "a cat"], [["a dog"], []])).toThrow(/^captionMetrics: references\[1\] has no reference caption/);
    expect(() => captionMetrics([], [])).toThrow(/^captionMetrics: candidates and references are empty/);
    expect(() => captionMetrics([3 as unknown as string], [["a"]])).toThrow(/^captionMetrics: candidates\[0\] is number: expected a string/);
  });

  it("bleu rejects an order that is not a positive integer", () => {
    expect(() => bleu(ok, okRefs, 0)).toThrow(/^bleu: maxN is 0: expected a positive integer/);
  });
});
