/**
 * The cleaning steps on their own, against Python: ftfy.fix_text on 1,600+ strings (hand-picked
 * and randomly garbled through wrong decoders), html.unescape on entity edge cases. Plus the
 * behaviours the docs promise, as readable examples.
 */

import { describe, expect, it } from "vitest";
import { basicClean, cleanText, fixText, htmlUnescape, whitespaceClean } from "../../packages/vlm/src/tokenizer/index.js";
import { shown, tokenizerFixture } from "./tokenizer-fixture.js";

const fixture = tokenizerFixture();

describe("ftfy.fix_text", () => {
  it(`matches ftfy 6.3.1 on all ${fixture.ftfy_cases.length} fixture strings`, () => {
    const wrong = fixture.ftfy_cases
      .map((c) => ({ ...c, got: fixText(c.text) }))
      .filter((c) => c.got !== c.fixed)
      .map((c) => `${shown(c.text)}: ftfy ${shown(c.fixed)}, Duet ${shown(c.got)}`);
    expect(wrong).toEqual([]);
    expect(fixture.ftfy_cases.length).toBeGreaterThan(1500);
  });

  it("repairs UTF-8 read as latin-1 / windows-1252 / windows-1251 / macroman", () => {
    expect(fixText("cafÃ©")).toBe("café");
    expect(fixText("The Mona Lisa doesnâ€™t have eyebrows.")).toBe("The Mona Lisa doesn't have eyebrows.");
    expect(fixText("РџСЂРёРІРµС‚")).toBe("Привет");
    expect(fixText("ðŸ˜€ emoji")).toBe("😀 emoji");
  });

  it("straightens curly quotes (ftfy's uncurl_quotes is on by default)", () => {
    expect(fixText("“curly” ‘quotes’")).toBe("\"curly\" 'quotes'");
  });

  it("leaves good text alone, accents and all", () => {
    for (const text of ["naïve café", "Straße", "日本語のテキスト", "👍🏽 ok", "São Paulo, Ñandú"]) expect(fixText(text)).toBe(text);
  });

  it("unescapes entities unless the line looks like HTML ('<'), and then for every later line too", () => {
    expect(fixText("Tom &amp; Jerry")).toBe("Tom & Jerry");
    expect(fixText("<b>Tom &amp; Jerry</b>")).toBe("<b>Tom &amp; Jerry</b>");
    expect(fixText("a &amp; b\n<i>\nc &amp; d")).toBe("a & b\n<i>\nc &amp; d");
  });

  it("fixes ligatures, widths, line breaks, terminal escapes and control characters", () => {
    expect(fixText("ﬁne ＬＯＵＤ")).toBe("fine LOUD");
    expect(fixText("a\r\nb\u2028c")).toBe("a\nb\nc");
    expect(fixText("\x1b[36mblue\x1b[0m")).toBe("blue");
    expect(fixText("a\x00b\ufeffc")).toBe("abc");
  });
});

describe("html.unescape and the rest of open_clip's cleaning", () => {
  it(`matches Python's html.unescape on all ${fixture.unescape_cases.length} fixture strings`, () => {
    for (const c of fixture.unescape_cases) expect(htmlUnescape(c.text), shown(c.text)).toBe(c.once);
  });

  it("unescapes twice, so a double escape comes out whole", () => {
    expect(basicClean("&amp;lt;b&amp;gt;")).toBe("<b>");
    expect(htmlUnescape("&amp;amp;")).toBe("&amp;");
  });

  it("follows HTML5 for numeric references: remapped C1, U+FFFD for surrogates and beyond U+10FFFF", () => {
    expect(htmlUnescape("&#128;&#x92;&#xD800;&#x110000;&#0;&#1;")).toBe("€’\ufffd\ufffd\ufffd");
    expect(htmlUnescape("&notit; &not &constructor;")).toBe("¬it; ¬ &constructor;");
  });

  it("folds Python whitespace (\\x1c-\\x1f, \\x85 and NBSP included; U+FEFF and U+200B not)", () => {
    expect(whitespaceClean(" a\t\n\x1c\x85\u00a0\u3000b ")).toBe("a b");
    expect(whitespaceClean("a\u200bb\ufeffc")).toBe("a\u200bb\ufeffc");
  });

  it("lowercases last, as str.lower(): 'İ' becomes 'i̇' and a final Σ becomes ς", () => {
    expect(cleanText("İstanbul")).toBe("i\u0307stanbul");
    expect(cleanText("ΟΔΟΣ ΣΑ")).toBe("οδος σα");
  });
});
