/**
 * Vocabulary files: tokenizer.json save/load (round trip, and every malformed file rejected with
 * an error naming the file and the problem, never a crash), and CLIP's bpe_simple_vocab .txt.gz
 * (corrupted copies rejected likewise).
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  BpeTokenizer,
  CLIP_BPE_PATH,
  TokenizerFileError,
  VocabFileError,
  loadClipTokenizer,
  loadTokenizerFile,
  parseClipMerges,
  parseTokenizerJson,
  saveTokenizerFile,
  tokenizerToJson,
  trainBpe,
} from "../../packages/vlm/src/tokenizer/index.js";

const dir = mkdtempSync(join(tmpdir(), "duet-tokenizer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const captions = ["a photo of a cat", "a photo of a dog", "a cat on a mat", "the dog and the cat", "photos of cats"];
const learned = trainBpe(Array.from({ length: 5 }, () => captions).flat(), { vocabSize: 560, contextLength: 32 });
const SAMPLES = ["a photo of a cat", "Ünïcödé & émoji 👍🏽", "", "x".repeat(100)];

describe("tokenizer.json", () => {
  it("round-trips through save and load: same merges, context length and ids", () => {
    const path = join(dir, "ckpt", "tokenizer.json");
    saveTokenizerFile(learned, path);
    const loaded = loadTokenizerFile(path);
    expect(loaded.merges).toEqual(learned.merges);
    expect(loaded.contextLength).toBe(32);
    expect(loaded.vocabSize).toBe(learned.vocabSize);
    for (const text of SAMPLES) expect(loaded.encode(text)).toEqual(learned.encode(text));
    expect(Array.from(loaded.tokenize(SAMPLES).data)).toEqual(Array.from(learned.tokenize(SAMPLES).data));
  });

  it("writes the documented, versioned format", () => {
    const path = join(dir, "format.json");
    saveTokenizerFile(learned, path);
    const json = JSON.parse(readFileSync(path, "utf8"));
    expect(Object.keys(json)).toEqual(["format", "version", "special_tokens", "context_length", "vocab_size", "merges"]);
    expect(json).toMatchObject({ format: "duet-clip-bpe", version: 1, special_tokens: ["<start_of_text>", "<end_of_text>"], vocab_size: learned.vocabSize });
    expect(json.merges[0]).toBe(learned.merges[0]!.join(" "));
  });

  const valid = tokenizerToJson(learned);
  const bad = (mutate: (json: Record<string, unknown>) => void): string => {
    const json: Record<string, unknown> = structuredClone(valid) as unknown as Record<string, unknown>;
    mutate(json);
    return JSON.stringify(json);
  };

  it.each([
    ["not JSON", "{", /^t\.json: not valid JSON/],
    ["an array", "[]", /^t\.json: expected a JSON object, got \[\]/],
    ["a missing key", bad((j) => delete j.merges), /^t\.json: missing key "merges"$/],
    ["an unknown key", bad((j) => (j.extra = 1)), /^t\.json: unknown key "extra"$/],
    ["another format", bad((j) => (j.format = "hf")), /^t\.json: "format" must be "duet-clip-bpe", got "hf"$/],
    ["a newer version", bad((j) => (j.version = 2)), /^t\.json: unsupported "version" 2 \(this Duet reads version 1\)$/],
    ["other special tokens", bad((j) => (j.special_tokens = ["<s>", "</s>"])), /"special_tokens" must be/],
    ["a zero context length", bad((j) => (j.context_length = 0)), /"context_length" must be a positive integer, got 0/],
    ["merges not an array", bad((j) => (j.merges = "a b")), /"merges" must be an array of strings/],
    ["a merge without a space", bad((j) => ((j.merges as string[])[3] = "ab")), /merges\[3\] must be two symbols joined by one space, got "ab"/],
    ["a merge of a number", bad((j) => ((j.merges as unknown[])[0] = 5)), /merges\[0\] must be two symbols/],
    ["a merge of an unknown symbol", bad((j) => ((j.merges as string[])[0] = "zz q")), /merges\[0\]: symbol "zz" is neither a byte symbol nor made by an earlier merge/],
    ["a repeated merge", bad((j) => (j.merges as string[]).push((j.merges as string[])[0]!)), /is already in the vocabulary/],
    ["a wrong vocab_size", bad((j) => (j.vocab_size = 1)), /"vocab_size" is 1 but \d+ merges make \d+ ids/],
  ])("rejects %s with a message naming the file", (_, text, message) => {
    expect(() => parseTokenizerJson(text, "t.json")).toThrow(TokenizerFileError);
    expect(() => parseTokenizerJson(text, "t.json")).toThrow(message);
  });

  it("names a file it cannot read", () => {
    const missing = join(dir, "nope", "tokenizer.json");
    expect(() => loadTokenizerFile(missing)).toThrow(new RegExp(`^${missing.replace(/[.\\]/g, "\\$&")}: cannot read the tokenizer file`));
  });

  it("fuzzed files either load into a working tokenizer or fail with a TokenizerFileError naming the file", () => {
    const text = JSON.stringify(valid);
    const textEdit = fc.oneof(
      fc.tuple(fc.nat(text.length), fc.nat(40)).map(([at, n]) => text.slice(0, at) + text.slice(at + n)), // delete
      fc.tuple(fc.nat(text.length), fc.string({ unit: "binary", maxLength: 4 })).map(([at, s]) => text.slice(0, at) + s + text.slice(at)), // insert
      fc.nat(text.length).map((at) => text.slice(0, at)), // truncate
    );
    const keys = ["format", "version", "special_tokens", "context_length", "vocab_size", "merges", "extra"];
    const objectEdit = fc.oneof(
      fc.tuple(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 2 })).map(([key, value]) => bad((j) => (j[key] = value))),
      fc.constantFrom(...keys).map((key) => bad((j) => delete j[key])),
      fc.tuple(fc.nat(valid.merges.length - 1), fc.string({ unit: "binary", maxLength: 6 })).map(([i, s]) => bad((j) => ((j.merges as string[])[i] = s))),
      fc.tuple(fc.nat(valid.merges.length - 1), fc.nat(valid.merges.length - 1)).map(([i, k]) =>
        bad((j) => {
          const merges = j.merges as string[];
          [merges[i], merges[k]] = [merges[k]!, merges[i]!];
        }),
      ),
      fc.nat(valid.merges.length).map((n) => bad((j) => (j.merges = (j.merges as string[]).slice(0, n)))),
    );
    fc.assert(
      fc.property(fc.oneof(textEdit, objectEdit), (mutated) => {
        let tokenizer: BpeTokenizer;
        try {
          tokenizer = parseTokenizerJson(mutated, "ckpt/tokenizer.json");
        } catch (error) {
          if (!(error instanceof TokenizerFileError)) throw new Error(`not a TokenizerFileError: ${String(error)}`);
          if (!error.message.startsWith("ckpt/tokenizer.json: ")) throw new Error(`message does not name the file: ${error.message}`);
          return;
        }
        for (const sample of SAMPLES) tokenizer.tokenize(sample);
        expect(tokenizer.eotTokenId).toBe(tokenizer.vocabSize - 1);
      }),
      { seed: 5301, numRuns: 1200 },
    );
  });
});

describe("CLIP's vocabulary file", () => {
  const gz = readFileSync(CLIP_BPE_PATH);
  const lines = gunzipSync(gz).toString("utf8").split("\n");
  const withLines = (edit: (lines: string[]) => void): Uint8Array => {
    const copy = [...lines];
    edit(copy);
    return gzipSync(Buffer.from(copy.join("\n"), "utf8"));
  };

  it("is the vendored file, with its licence beside it", () => {
    expect(lines[0]).toContain("version");
    expect(readFileSync(join(CLIP_BPE_PATH, "..", "LICENSE-clip-bpe.txt"), "utf8")).toContain("Copyright (c) 2021 OpenAI");
  });

  it.each([
    ["not gzip", () => Buffer.from("i n\nt h\n"), /^v\.gz: not a gzipped UTF-8 text file/],
    ["not UTF-8", () => gzipSync(Buffer.from([0x23, 0x0a, 0xff, 0xfe, 0x0a])), /^v\.gz: not a gzipped UTF-8 text file/],
    ["too short", () => gzipSync(Buffer.from("#version\ni n\nt h\n")), /^v\.gz: has 3 merge lines after the header; CLIP's vocabulary needs 48894$/],
    ["a line with three symbols", () => withLines((l) => (l[10] = "a b c")), /^v\.gz: line 11: expected two symbols separated by a space, got "a b c"$/],
    ["an empty line", () => withLines((l) => (l[5] = "")), /^v\.gz: line 6: expected two symbols/],
    ["an unknown symbol", () => withLines((l) => (l[2] = "qqq x")), /^v\.gz: line 3: symbol "qqq" is neither a byte symbol nor made by an earlier merge$/],
    ["a repeated merge", () => withLines((l) => (l[3] = l[1]!)), /^v\.gz: line 4: token "in" is already in the vocabulary$/],
  ])("rejects a file that is %s, naming it and the line", (_, make, message) => {
    expect(() => parseClipMerges(make(), "v.gz")).toThrow(VocabFileError);
    expect(() => parseClipMerges(make(), "v.gz")).toThrow(message);
  });

  it("accepts the merge lines with other whitespace, as Python's split() does", () => {
    const merges = parseClipMerges(withLines((l) => (l[1] = "i\t n\r")), "v.gz");
    expect(merges[0]).toEqual(["i", "n"]);
  });

  it("names a vocabulary file it cannot read", () => {
    expect(() => loadClipTokenizer(join(dir, "missing.txt.gz"))).toThrow(/missing\.txt\.gz: cannot read the vocabulary file/);
  });

  it("loads a truncated-but-sufficient file: lines past 48,895 are ignored, as open_clip does", () => {
    const short = join(dir, "short.txt.gz");
    writeFileSync(short, withLines((l) => l.splice(48896)));
    expect(loadClipTokenizer(short).vocabSize).toBe(49408);
  });
});
