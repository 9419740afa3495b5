/**
 * Laws of the CLIP tokenizer on arbitrary input (fast-check, fixed seeds):
 *   - encode never throws, whatever the string (any code point, lone surrogates, mojibake soup)
 *   - decode(encode(x)) is the cleaned text's pre-tokens, each followed by a space
 *   - tokenize rows are [sot, ...encode(x), eot] cut to the context length with eot kept last,
 *     then zeros; eot is the largest id, so argmax pooling lands on it
 *   - limits: a tokenizer.json is read exactly when its context_length is in [1, 4096] and it
 *     nests at most 64 levels (any depth up to 200,000 is a clean TokenizerFileError)
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BpeTokenizer, SPECIAL_TOKENS, TokenizerFileError, cleanText, clipTokenizer, parseTokenizerJson, tokenizerToJson } from "../../packages/vlm/src/tokenizer/index.js";
import { MAX_CONTEXT_LENGTH } from "../../packages/vlm/src/tokenizer/tokenizer-json.js";
import { preTokenize, preTokenizer } from "../../packages/vlm/src/tokenizer/pretokenize.js";

const tok = clipTokenizer();
const pattern = preTokenizer(SPECIAL_TOKENS);

/** Characters that drive ftfy and the entity decoder into their less travelled paths. */
const MOJIBAKE_ALPHABET = [..."ÃÂâ€œ™ðŸ˜¢£¥©®°±²³µ¶·¸¹º»¼½¾¿ÐÑØÙ×÷ЃРСВГΒΓΟΞƒ†‡•…‰‹›\u0080\u0081\u008d\u0090\u009d\u00a0\u00ad&#;<>xX0123456789amplt \n\r\t\u200d\ufe0f\ufffd\u2028"];
const unicodeText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 }), // lone surrogates too
  fc.string({ unit: fc.constantFrom(...MOJIBAKE_ALPHABET), maxLength: 30 }),
);

describe("CLIP tokenizer: laws", () => {
  it("encode never throws, and every id is in the vocabulary", () => {
    fc.assert(
      fc.property(unicodeText, (text) => {
        const ids = tok.encode(text);
        return ids.every((id) => Number.isInteger(id) && id >= 0 && id < tok.vocabSize);
      }),
      { seed: 5101, numRuns: 800 },
    );
  });

  it("decode(encode(x)) spells the cleaned text's pre-tokens, each followed by a space", () => {
    fc.assert(
      fc.property(unicodeText, (text) => {
        const expected = preTokenize(cleanText(text), pattern)
          .map((piece) => (SPECIAL_TOKENS.includes(piece) ? piece : `${piece} `))
          .join("");
        const got = tok.decode(tok.encode(text));
        if (got !== expected) throw new Error(`text ${JSON.stringify(text)}: decode gave ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
      }),
      { seed: 5102, numRuns: 500 },
    );
  });

  it("tokenize: [sot, ...tokens, eot] cut to length with eot last, then zero padding", () => {
    fc.assert(
      fc.property(fc.array(unicodeText, { maxLength: 4 }), fc.integer({ min: 1, max: 40 }), (texts, length) => {
        const rows = tok.tokenize(texts, length);
        expect(rows.shape).toEqual([texts.length, length]);
        expect(rows.dtype).toBe("int32");
        texts.forEach((text, r) => {
          const row = Array.from(rows.data.subarray(r * length, (r + 1) * length));
          const full = [tok.sotTokenId, ...tok.encode(text), tok.eotTokenId];
          const used = Math.min(full.length, length);
          const expected = [...full.slice(0, used - 1), tok.eotTokenId, ...new Array<number>(length - used).fill(0)];
          expect(row, `text ${JSON.stringify(text)}, length ${length}`).toEqual(expected);
          expect(Math.max(...row)).toBe(tok.eotTokenId);
        });
      }),
      { seed: 5103, numRuns: 300 },
    );
  });

  it("is deterministic across calls and independent of the cache", () => {
    fc.assert(
      fc.property(fc.array(unicodeText, { minLength: 1, maxLength: 5 }), (texts) => {
        const first = texts.map((t) => tok.encode(t));
        const again = [...texts].reverse().map((t) => tok.encode(t)).reverse();
        expect(again).toEqual(first);
      }),
      { seed: 5104, numRuns: 100 },
    );
  });
});

describe("tokenizer.json: limits", () => {
  const base = tokenizerToJson(new BpeTokenizer([["a", "b</w>"]], { contextLength: 77 }));

  it("context_length is accepted exactly in [1, MAX_CONTEXT_LENGTH], and tokenize gives rows that long", () => {
    const context = fc.oneof(fc.integer({ min: -2, max: MAX_CONTEXT_LENGTH + 2 }), fc.constantFrom(MAX_CONTEXT_LENGTH, MAX_CONTEXT_LENGTH + 1, 1e9, 2 ** 53, 1.5, -0));
    fc.assert(
      fc.property(context, unicodeText, (contextLength, text) => {
        const valid = Number.isInteger(contextLength) && contextLength >= 1 && contextLength <= MAX_CONTEXT_LENGTH;
        let tokenizer: BpeTokenizer | null = null;
        try {
          tokenizer = parseTokenizerJson(JSON.stringify({ ...base, context_length: contextLength }), "fuzz.json");
        } catch (error) {
          if (!(error instanceof TokenizerFileError)) throw error;
          expect(error.message).toMatch(/context_length/);
        }
        expect(tokenizer !== null, `context_length ${contextLength}`).toBe(valid);
        if (tokenizer !== null && contextLength >= 2) expect(tokenizer.tokenize([text]).shape).toEqual([1, contextLength]);
      }),
      { seed: 5105, numRuns: 200 },
    );
  });

  it("a value nested to any depth (up to 200,000) is a TokenizerFileError past 64 levels, never a stack overflow", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 200_000 })), fc.constantFrom(...Object.keys(base), "extra"), (depth, key) => {
        const text = JSON.stringify({ ...base, [key]: "HERE" }).replace('"HERE"', `${"[".repeat(depth)}${"]".repeat(depth)}`);
        let message = "";
        try {
          parseTokenizerJson(text, "fuzz.json");
        } catch (error) {
          if (!(error instanceof TokenizerFileError)) throw error;
          message = error.message;
        }
        expect(message, `depth ${depth} at ${key}`).not.toBe(""); // an array where any key is, or an unknown key: always refused
        if (depth >= 64) expect(message).toMatch(/nested deeper than 64 levels/);
      }),
      { seed: 5106, numRuns: 80 },
    );
  });
});
