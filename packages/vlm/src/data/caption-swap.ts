/**
 * A caption's swapped twin: a hard negative with (nearly) the caption's words in another
 * binding, for training with `duet train --hard-negatives` (NegCLIP, Yuksekgonul et al. 2023,
 * "When and why vision-language models behave like bags-of-words").
 *
 *   an emoji with a binding   the annotation inside the caption swapped for its twin
 *                             (data/openmoji/binding.ts annotationTwin): tones swapped,
 *                             "handshake: light skin tone, dark skin tone, deal" →
 *                             "handshake: dark skin tone, light skin tone, deal"; or the
 *                             direction turned ("person walking" ↔ "… facing right")
 *   any other caption         NegCLIP's order swap, on what a caption here is made of:
 *                             two phrases (split at ", ", ": ", " (" … ")") → the first and the
 *                             last trade places, "grinning face, smile" → "smile, grinning face";
 *                             one phrase → its last two different neighbouring words trade,
 *                             "an emoji of grinning face" → "an emoji of face grinning"
 *   nothing to swap           one word ("brain"): the empty caption, which matches no image, so
 *                             the pair still has a negative but none that equals the caption
 *                             (a twin equal to the caption would only add ln 2 to the loss and
 *                             cancel its own gradient)
 *
 * NegCLIP also swaps nouns and adjectives with a parser; the captions here are short lists of
 * phrases, so swapping whole phrases is the same idea without one.
 */

import { annotationTwin } from "./openmoji/binding.js";

const DELIMITER = /(, |: | \(|\))/;

/** NegCLIP's order swap (see the file comment); "" when the caption has nothing to reorder. */
export function swapWordOrder(caption: string): string {
  const pieces = caption.split(DELIMITER);
  // even indices are phrases, odd ones the delimiters between them
  const phrases = pieces.flatMap((piece, i) => (i % 2 === 0 && piece.trim() !== "" ? [i] : []));
  if (phrases.length >= 2) {
    const [first, last] = [phrases[0]!, phrases.at(-1)!];
    if (pieces[first] !== pieces[last]) {
      const out = [...pieces];
      [out[first], out[last]] = [pieces[last]!, pieces[first]!];
      return out.join("");
    }
  }
  const words = caption.split(" ");
  for (let i = words.length - 1; i > 0; i--) {
    if (words[i] !== words[i - 1]) {
      [words[i - 1], words[i]] = [words[i]!, words[i - 1]!];
      return words.join(" ");
    }
  }
  return "";
}

/** The twin of a caption (see the file comment); `annotation`: the emoji's, when the caption is an emoji's. */
export function captionTwin(caption: string, annotation?: string): string {
  if (annotation !== undefined && caption.includes(annotation)) {
    const twin = annotationTwin(annotation);
    if (twin !== null) return caption.replace(annotation, twin);
  }
  return swapWordOrder(caption);
}
