/**
 * Fuzzing the manifest parsers with random bytes and with mutated valid manifests (fixed
 * seeds, thousands of runs): a parse either returns records or throws a DataError — never a
 * TypeError, a RangeError or csv-parse's own error. Records that come back are well formed.
 * JSON nested to any depth is refused the same way.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DataError, parseCaptions, parseClassificationCsv, type ManifestFormat } from "../../packages/vlm/src/data/index.js";
import { decodeUtf8 } from "../../packages/vlm/src/data/table.js";

const formats: ManifestFormat[] = ["csv", "tsv", "jsonl"];

/** Runs a parse; fails the property on any error that is not a DataError. */
function cleanly(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    if (e instanceof DataError) {
      expect(e.message).toMatch(/^(readCaptions|readClassification): /);
      return;
    }
    throw e;
  }
}

function parseAll(bytes: Uint8Array): void {
  for (const format of formats) {
    cleanly(() => {
      const text = decodeUtf8(bytes, "readCaptions", `fuzz.${format}`);
      const records = parseCaptions(text, { file: `fuzz.${format}`, baseDir: "/data", format, checkFiles: false });
      for (const record of records) {
        expect(typeof record.text).toBe("string");
        expect(record.image.startsWith("/")).toBe(true);
        expect(Number.isInteger(record.line) && record.line >= 1).toBe(true);
      }
    });
  }
  cleanly(() => {
    const text = decodeUtf8(bytes, "readClassification", "fuzz.csv");
    const manifest = parseClassificationCsv(text, { file: "fuzz.csv", baseDir: "/data", checkFiles: false });
    for (const record of manifest.records) expect(record.label).toBeLessThan(manifest.classes.length);
  });
}

const VALID_CSV = 'filepath,title,label\nimg/a.png,"a cat, on a mat",cat\nimg/b.png,"say ""hi""",dog\n"img/c d.png","two\nlines",3\n';
const VALID_JSONL = '{"image": "img/a.png", "text": "a cat"}\n{"image": "img/b.png", "text": "say \\"hi\\""}\n';

/** A mutation: insert, delete or replace a character, biased to the characters that matter to CSV and JSON. */
const mutation = fc.tuple(
  fc.constantFrom("insert", "delete", "replace"),
  fc.nat(),
  fc.oneof(fc.constantFrom('"', ",", "\t", "\n", "\r", "{", "}", ":", "\\", "\uFEFF", "\u0000"), fc.string({ minLength: 1, maxLength: 1 })),
);

function mutate(text: string, mutations: [string, number, string][]): string {
  let out = text;
  for (const [kind, at, char] of mutations) {
    const i = out.length === 0 ? 0 : at % (out.length + 1);
    if (kind === "insert") out = out.slice(0, i) + char + out.slice(i);
    else if (kind === "delete") out = out.slice(0, i) + out.slice(i + 1);
    else out = out.slice(0, i) + char + out.slice(i + 1);
  }
  return out;
}

describe("manifest parsers under fuzzing", () => {
  it("random bytes: a result or a DataError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => parseAll(bytes)),
      { seed: 2024, numRuns: 1500 },
    );
  });

  it("random text built from CSV's and JSON's special characters", () => {
    const char = fc.constantFrom("a", "b", " ", '"', ",", "\t", "\n", "\r\n", "{", "}", "[", ":", '"image"', '"text"', "filepath", "title", "label", "é", "\uFEFF");
    fc.assert(
      fc.property(fc.array(char, { maxLength: 60 }), (parts) => parseAll(new TextEncoder().encode(parts.join("")))),
      { seed: 7, numRuns: 1500 },
    );
  });

  it("mutated valid manifests", () => {
    fc.assert(
      fc.property(fc.constantFrom(VALID_CSV, VALID_JSONL), fc.array(mutation, { minLength: 1, maxLength: 6 }), (text, mutations) =>
        parseAll(new TextEncoder().encode(mutate(text, mutations as [string, number, string][]))),
      ),
      { seed: 99, numRuns: 2000 },
    );
  });
});

describe("limits", () => {
  it("JSON Lines nested to any depth (up to 200,000): a DataError, never a stack overflow", () => {
    const nested = (depth: number, open: string) => `${open.repeat(depth)}${open === "[" ? "" : "1"}${(open === "[" ? "]" : "}").repeat(depth)}`;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.constantFrom("[", '{"a":'), fc.constantFrom("image", "text", "line"), (depth, open, where) => {
        const value = nested(depth, open);
        const line = where === "line" ? value : where === "image" ? `{"image": ${value}, "text": "a"}` : `{"image": "a.png", "text": ${value}}`;
        let error: unknown;
        try {
          parseCaptions(`${line}\n`, { file: "deep.jsonl", baseDir: "/data", format: "jsonl", checkFiles: false });
        } catch (e) {
          error = e;
        }
        expect(error, `depth ${depth} in ${where}`).toBeInstanceOf(DataError);
      }),
      { seed: 2025, numRuns: 40 },
    );
  });
});
