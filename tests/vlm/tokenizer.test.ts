/**
 * Parity with open_clip 3.3.0's CLIP tokenizer: for every fixture string, the same cleaned text,
 * the same ids (untruncated and as a 77-long row), and the same decode. The fixture came from
 * tools/make_tokenizer_fixtures.py; no Python runs here.
 */

import { describe, expect, it } from "vitest";
import {
  CLIP_EOT_TOKEN_ID,
  CLIP_SOT_TOKEN_ID,
  CLIP_VOCAB_SIZE,
  cleanText,
  clipTokenizer,
  tokenize,
} from "../../packages/vlm/src/tokenizer/index.js";
import { shown, tokenizerFixture } from "./tokenizer-fixture.js";

const fixture = tokenizerFixture();
const tok = clipTokenizer();

describe("CLIP tokenizer: parity with open_clip", () => {
  it("the fixture records what made it, and covers at least 80 strings", () => {
    expect(fixture.versions.open_clip).toBe("3.3.0");
    expect(fixture.versions.ftfy).toBe("6.3.1");
    expect(fixture.versions.python).toMatch(/^3\.11\./);
    expect(fixture.cases.length).toBeGreaterThanOrEqual(80);
  });

  it("has CLIP's vocabulary: 49,408 ids, <start_of_text> = 49406, <end_of_text> = 49407 (the largest)", () => {
    expect(tok.vocabSize).toBe(CLIP_VOCAB_SIZE);
    expect(tok.vocabSize).toBe(fixture.vocab_size);
    expect([tok.sotTokenId, tok.eotTokenId]).toEqual([CLIP_SOT_TOKEN_ID, CLIP_EOT_TOKEN_ID]);
    expect(tok.vocab[49406]).toBe("<start_of_text>");
    expect(tok.vocab[512]).toBe("in");
  });

  it.each(fixture.cases.map((c, i) => [i, shown(c.text, 60), c] as const))("case %i %s: same ids, row and decode", (_, __, c) => {
    expect(cleanText(c.text), "cleaned text").toBe(c.clean);
    expect(tok.encode(c.text), "encode").toEqual(c.encode);
    const row = tokenize(c.text);
    expect(row.shape).toEqual([1, fixture.context_length]);
    expect(row.dtype).toBe("int32");
    expect(Array.from(row.data), "tokenize row").toEqual(c.ids);
    expect(tok.decode(tok.encode(c.text)), "decode(encode(text))").toBe(c.decode);
  });

  it("matches every fixture string (summary)", () => {
    const mismatched = fixture.cases.filter((c) => JSON.stringify(Array.from(tokenize(c.text).data)) !== JSON.stringify(c.ids));
    expect(mismatched.map((c) => shown(c.text)), `${fixture.cases.length - mismatched.length}/${fixture.cases.length} identical`).toEqual([]);
  });

  it("tokenizes a batch into one row per text", () => {
    const texts = fixture.cases.slice(0, 10).map((c) => c.text);
    const rows = tokenize(texts);
    expect(rows.shape).toEqual([10, 77]);
    for (let i = 0; i < 10; i++) expect(Array.from(rows.data.subarray(i * 77, (i + 1) * 77))).toEqual(fixture.cases[i]!.ids);
  });

  it.each(fixture.contexts.map((c) => [c.context_length, shown(c.text, 40), c] as const))(
    "context length %i for %s: truncated with end-of-text last, or padded with 0",
    (length, _, c) => {
      expect(Array.from(tokenize([c.text], length).data)).toEqual(c.ids);
    },
  );

  it("decodes id sequences that are not valid UTF-8 as Python does (U+FFFD per broken sequence)", () => {
    for (const c of fixture.decode_cases) expect(tok.decode(c.ids), JSON.stringify(c.ids)).toBe(c.text);
  });

  it("special tokens written in the text become the special ids", () => {
    expect(tok.encode("<start_of_text>hi<end_of_text>")).toEqual([49406, tok.encode("hi")[0], 49407]);
    expect(tok.encode("<START_OF_TEXT>")).toEqual([49406]);
  });
});

describe("CLIP tokenizer: bad input", () => {
  it("rejects ids outside the vocabulary, naming the id and its position", () => {
    expect(() => tok.decode([1, 49408])).toThrow("decode: id 49408 at position 1 is not in the vocabulary (0..49407)");
    expect(() => tok.decode([-1])).toThrow(/id -1 at position 0/);
    expect(() => tok.decode([1.5])).toThrow(/id 1.5/);
  });

  it("rejects context lengths that are not positive integers", () => {
    expect(() => tokenize("a", 0)).toThrow("tokenize: context length must be a positive integer, got 0");
    expect(() => tokenize("a", 2.5)).toThrow(/got 2.5/);
  });

  it("rejects texts that are not strings, naming which", () => {
    expect(() => tokenize(["a", 3 as unknown as string])).toThrow("tokenize: text 1 is number, not a string");
    expect(() => tok.encode(null as unknown as string)).toThrow("encode: expected a string, got null");
  });

  it("gives an empty batch a [0, 77] tensor", () => {
    expect(tokenize([]).shape).toEqual([0, 77]);
  });
});
