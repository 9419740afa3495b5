/**
 * The BPE trainer: deterministic, CLIP-shaped (byte symbols, "</w>", special tokens last), and
 * its vocabularies round-trip text. Save/load is in tokenizer-files.test.ts.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SPECIAL_TOKENS, cleanText, findMergeProblem, learnMerges, trainBpe } from "../../packages/vlm/src/tokenizer/index.js";
import { preTokenize, preTokenizer } from "../../packages/vlm/src/tokenizer/pretokenize.js";

const CAPTIONS = [
  "a photo of a cat",
  "a photo of a dog",
  "a grinning face with big eyes",
  "a red apple on a wooden table",
  "a smiling cat face with heart-shaped eyes",
  "thumbs up: medium skin tone",
  "the flag of Japan",
  "a dog's toy, chewed",
  "two cats and three dogs",
  "a photo of the night sky with stars",
];
const corpus = Array.from({ length: 20 }, (_, i) => CAPTIONS.map((c) => (i % 3 === 0 ? c.toUpperCase() : c))).flat();

/** Captions of lowercase ASCII words separated by single spaces. */
const wordCaption = fc
  .array(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 1, maxLength: 8 })
  .map((words) => words.join(" "));

describe("trainBpe", () => {
  it("is deterministic, whatever the order of the corpus", () => {
    const merges = learnMerges(corpus, { vocabSize: 700 });
    expect(learnMerges(corpus, { vocabSize: 700 })).toEqual(merges);
    expect(learnMerges([...corpus].reverse(), { vocabSize: 700 })).toEqual(merges);
  });

  it("is CLIP-shaped: 512 byte symbols, merges, then sot and eot as the two largest ids", () => {
    const tok = trainBpe(corpus, { vocabSize: 600 });
    expect(tok.vocabSize).toBe(512 + tok.merges.length + 2);
    expect(tok.vocabSize).toBeLessThanOrEqual(600);
    expect([tok.vocab[tok.sotTokenId], tok.vocab[tok.eotTokenId]]).toEqual(SPECIAL_TOKENS);
    expect(tok.eotTokenId).toBe(tok.vocabSize - 1);
    expect(tok.vocab.slice(256, 512).every((t) => t.endsWith("</w>"))).toBe(true);
    const rows = tok.tokenize(["a photo of a cat"]);
    expect(Math.max(...rows.data)).toBe(tok.eotTokenId);
  });

  it("stops at the requested size when the corpus has enough pairs", () => {
    const tok = trainBpe(corpus, { vocabSize: 560 });
    expect(tok.vocabSize).toBe(560);
  });

  it("stops early when no pair occurs minPairFrequency times", () => {
    const merges = learnMerges(["ab"], { vocabSize: 10_000 });
    expect(merges).toEqual([]);
    expect(learnMerges(["ab"], { vocabSize: 10_000, minPairFrequency: 1 })).toEqual([["a", "b</w>"]]);
  });

  it("breaks frequency ties by the pair's order: first symbol, then second", () => {
    expect(learnMerges(["cd ab cd ab"], { vocabSize: 515 })).toEqual([["a", "b</w>"]]);
    expect(learnMerges(["ac ab ac ab"], { vocabSize: 515 })).toEqual([["a", "b</w>"]]);
  });

  it("learns frequent words as single tokens", () => {
    const tok = trainBpe(corpus, { vocabSize: 800 });
    expect(tok.encode("photo")).toHaveLength(1);
    expect(tok.decode(tok.encode("photo"))).toBe("photo ");
  });

  it("round-trips ASCII word captions: decode(encode(s)) is the cleaned caption (plus the final word break)", () => {
    fc.assert(
      fc.property(fc.array(wordCaption, { minLength: 1, maxLength: 30 }), fc.integer({ min: 514, max: 900 }), (captions, vocabSize) => {
        const tok = trainBpe(captions, { vocabSize, minPairFrequency: 1 });
        expect(findMergeProblem(tok.merges)).toBeNull();
        for (const caption of captions) expect(tok.decode(tok.encode(caption)).trimEnd()).toBe(cleanText(caption));
        expect(tok.decode(tok.encode("zebra unseen"))).toBe("zebra unseen ");
      }),
      { seed: 5201, numRuns: 60 },
    );
  });

  it("round-trips any text through a learned vocabulary, as pre-tokens with word breaks", () => {
    const tok = trainBpe(corpus, { vocabSize: 700 });
    const pattern = preTokenizer(SPECIAL_TOKENS);
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 30 }), (text) => {
        const expected = preTokenize(cleanText(text), pattern)
          .map((p) => (SPECIAL_TOKENS.includes(p) ? p : `${p} `))
          .join("");
        expect(tok.decode(tok.encode(text))).toBe(expected);
      }),
      { seed: 5202, numRuns: 300 },
    );
  });

  it("never learns two merges that make the same token", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[ab ]{1,12}$/), { minLength: 1, maxLength: 20 }), (captions) => {
        const merges = learnMerges(captions, { vocabSize: 600, minPairFrequency: 1 });
        expect(findMergeProblem(merges)).toBeNull();
      }),
      { seed: 5203, numRuns: 200 },
    );
  });

  it("rejects bad options and corpus items with clear errors", () => {
    expect(() => learnMerges(corpus, { vocabSize: 513 })).toThrow(
      "trainBpe: vocabSize must be an integer >= 514 (512 byte symbols + 2 special tokens), got 513",
    );
    expect(() => learnMerges(corpus, { vocabSize: 600, minPairFrequency: 0 })).toThrow(/minPairFrequency must be a positive integer/);
    expect(() => learnMerges(["ok", 7 as unknown as string], { vocabSize: 600 })).toThrow("trainBpe: corpus item 1 is number, not a string");
  });

  it("trains on a few thousand captions in well under a second", () => {
    const big = Array.from({ length: 3000 }, (_, i) => `${CAPTIONS[i % CAPTIONS.length]} number ${i} variant ${(i * 7919) % 1000}`);
    const start = performance.now();
    const tok = trainBpe(big, { vocabSize: 2000 });
    const seconds = (performance.now() - start) / 1000;
    expect(tok.vocabSize).toBeLessThanOrEqual(2000);
    expect(seconds).toBeLessThan(10); // generous: a shared CI core; typically ~0.3 s
  });
});
