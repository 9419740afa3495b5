/**
 * open_clip's text cleaning for the CLIP tokenizer (clean="lower"):
 *
 *   whitespace_clean(basic_clean(text)).lower()
 *   basic_clean(text)      = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
 *   whitespace_clean(text) = " ".join(text.split()).strip()
 *
 * Lower-casing comes last, after whitespace folding, exactly as open_clip orders it.
 */

import { fixText } from "./ftfy.js";
import { htmlUnescape } from "./html-unescape.js";
import { pyCollapseWhitespace, pyLower, pyStrip } from "./python-text.js";

/** ftfy, then HTML unescaping twice (so "&amp;lt;" becomes "<"), then strip. */
export function basicClean(text: string): string {
  return pyStrip(htmlUnescape(htmlUnescape(fixText(text))));
}

/** Every run of (Python) whitespace becomes one space; none at the ends. */
export function whitespaceClean(text: string): string {
  return pyCollapseWhitespace(text);
}

/** The full cleaning a caption gets before pre-tokenisation. */
export function cleanText(text: string): string {
  return pyLower(whitespaceClean(basicClean(text)));
}
