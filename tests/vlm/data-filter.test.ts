/** Caption filtering: each check, the order they apply in, and the counts reported. */

import { describe, expect, it } from "vitest";
import { describeFilterCounts, filterCaptions, looksEnglish } from "../../packages/vlm/src/data/index.js";

const captions = (texts: string[], image = "x.png") => texts.map((text, i) => ({ image: `${image}${i}`, text }));

describe("filterCaptions", () => {
  it("counts each dropped caption under the first check it fails, and keeps the order", () => {
    const input = captions([
      "a cat on a mat", // kept
      "ok", // too short (2 < 3)
      "   ", // too short after trimming
      "le chat est sur la table", // not English
      "一只猫", // not English (script)
      "A cat  on a MAT", // duplicate of the first (case and whitespace ignored)
      "a dog with a ball", // kept
      "a dog with a ball", // duplicate
      "ja", // too short, although also not English: the first check counts
    ]);
    const { records, counts } = filterCaptions(input);
    expect(records.map((r) => r.text)).toEqual(["a cat on a mat", "a dog with a ball"]);
    expect(counts).toEqual({ input: 9, tooShort: 3, nonEnglish: 2, duplicate: 2, kept: 2 });
    expect(describeFilterCounts(counts)).toBe("kept 2 of 9 captions (3 too short, 2 not English, 2 duplicates)");
  });

  it("options: minLength, dedupe by pair or not at all, englishOnly off", () => {
    const input = [
      { image: "a.png", text: "red apple" },
      { image: "b.png", text: "red apple" },
      { image: "a.png", text: "red apple" },
      { image: "c.png", text: "manzana roja para la mesa" },
    ];
    expect(filterCaptions(input, { dedupe: "pair" }).counts).toEqual({ input: 4, tooShort: 0, nonEnglish: 1, duplicate: 1, kept: 2 });
    expect(filterCaptions(input, { dedupe: false, englishOnly: false }).counts.kept).toBe(4);
    expect(filterCaptions(input, { minLength: 10, englishOnly: false }).counts).toEqual({ input: 4, tooShort: 3, nonEnglish: 0, duplicate: 0, kept: 1 });
    expect(filterCaptions([], {}).counts).toEqual({ input: 0, tooShort: 0, nonEnglish: 0, duplicate: 0, kept: 0 });
  });
});

describe("looksEnglish (a heuristic: these cases document where its line is)", () => {
  const english = [
    "a photo of a cat",
    "grinning face with big eyes",
    "café on the corner", // accents are stripped before the script check
    "red apple", // no function words at all: kept
    "manzana roja", // a short Spanish phrase with no function words passes: the known blind spot
    "Die Hard, the movie", // "die" is not on the foreign list (it is an English word)
    "123 main street",
  ];
  const foreign = [
    "le chat est sur la table", // French
    "der Hund und die Katze", // German
    "el perro y los gatos", // Spanish
    "il gatto della casa", // Italian
    "het huis van de familie", // Dutch
    "кошка на столе", // Cyrillic
    "猫がいます", // Japanese
    "قطة", // Arabic
    "12345 !!!", // no letters
  ];
  for (const text of english) it(`English: ${text}`, () => expect(looksEnglish(text)).toBe(true));
  for (const text of foreign) it(`not English: ${text}`, () => expect(looksEnglish(text)).toBe(false));
});
