/**
 * Every code point, against CPython 3.11 and the `regex` module: which pre-tokeniser class it
 * falls in, what str.lower() makes of it, whether str.isspace() holds. These are where a
 * JavaScript port silently drifts from Python (different Unicode versions, different `\s`,
 * different case-insensitive class semantics), so all 1,112,064 are compared, not a sample.
 */

import { describe, expect, it } from "vitest";
import { LETTERS, NUMBER, OTHER, caselessLiteral } from "../../packages/vlm/src/tokenizer/pretokenize.js";
import { pyCollapseWhitespace, pyLower } from "../../packages/vlm/src/tokenizer/python-text.js";
import { tokenizerFixture } from "./tokenizer-fixture.js";

const unicode = tokenizerFixture().unicode;
const hex = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;

function expectedClass(cp: number, runs: typeof unicode.classes): string {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid]![0] <= cp) lo = mid;
    else hi = mid - 1;
  }
  return runs[lo]![1];
}

describe("pre-tokeniser classes", () => {
  const letters = new RegExp(`^${LETTERS}$`, "u");
  const number = new RegExp(`^${NUMBER}$`, "u");
  const other = new RegExp(`^${OTHER}$`, "u");
  const classify = (ch: string): string => (letters.test(ch) ? "L" : number.test(ch) ? "N" : other.test(ch) ? "O" : "S");

  it("puts every code point in the same class as Python's regex with IGNORECASE", () => {
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const want = expectedClass(cp, unicode.classes);
      const got = classify(String.fromCodePoint(cp));
      if (got !== want && wrong.length < 20) wrong.push(`${hex(cp)}: Python ${want}, Duet ${got}`);
    }
    expect(wrong).toEqual([]);
  });

  it("matches the literals case-insensitively as `regex` does, 'ſ' standing for 's'", () => {
    const contraction = new RegExp(`^${caselessLiteral("'s")}$`, "u");
    expect(["'s", "'S", "'ſ"].every((s) => contraction.test(s))).toBe(true);
    expect(contraction.test("'ß")).toBe(false);
  });
});

describe("Python string semantics", () => {
  it("lowercases every code point as CPython 3.11's str.lower()", () => {
    const lower = new Map(unicode.lower);
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      const want = lower.get(cp) ?? ch;
      const got = pyLower(ch);
      if (got !== want && wrong.length < 20) wrong.push(`${hex(cp)}: Python ${JSON.stringify(want)}, Duet ${JSON.stringify(got)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("keeps the final-sigma rule across letters CPython 3.11 does not know", () => {
    expect(pyLower("ΑΣ\u{10d50}ΑΣ")).toBe("ας\u{10d50}ας");
  });

  it("treats exactly str.isspace() as whitespace", () => {
    const spaces = new Set(unicode.isspace);
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const isSpace = pyCollapseWhitespace(`a${String.fromCodePoint(cp)}b`) === "a b";
      if (isSpace !== spaces.has(cp) && wrong.length < 20) wrong.push(`${hex(cp)}: Python ${spaces.has(cp)}, Duet ${isSpace}`);
    }
    expect(wrong).toEqual([]);
  });
});
