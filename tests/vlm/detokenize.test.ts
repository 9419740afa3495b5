/**
 * detokenize: the spaces a word-level decode put around punctuation come out, so a caption
 * reads as written and the captioning metrics' PTB tokens match the references'.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clipTokenizer } from "../../packages/vlm/src/tokenizer/index.js";
import { detokenize } from "../../packages/vlm/src/tokenizer/detokenize.js";

describe("detokenize", () => {
  it("rejoins what CLIP's tokenizer split off", () => {
    const cases: [string, string][] = [
      ["woman : medium - dark skin tone , facing right ", "woman: medium-dark skin tone, facing right"],
      ["kiss : woman , man , light skin tone , dark skin tone ", "kiss: woman, man, light skin tone, dark skin tone"],
      ["the man 's hat ( red ) ! ", "the man's hat (red)!"],
      ["don 't stop ", "don't stop"],
      ["  a   b  ", "a b"],
      ["", ""],
      ["2nd place medal ", "2nd place medal"],
    ];
    for (const [decoded, text] of cases) expect(detokenize(decoded), JSON.stringify(decoded)).toBe(text);
  });

  it("gives back a plain-words caption through CLIP's tokenizer, and is idempotent", () => {
    const tok = clipTokenizer();
    const word = fc.stringMatching(/^[a-z]{1,8}$/);
    const caption = fc.array(fc.tuple(word, fc.constantFrom(" ", ", ", ": ", "-")), { minLength: 1, maxLength: 6 }).map((parts) => parts.map(([w, sep], i) => (i === parts.length - 1 ? w : w + sep)).join(""));
    fc.assert(
      fc.property(caption, (text) => {
        const back = detokenize(tok.decode(tok.encode(text)));
        expect(back).toBe(text);
        expect(detokenize(back)).toBe(back);
      }),
      { numRuns: 200 },
    );
  });
});
