/**
 * An attribute-binding benchmark built from OpenMoji's annotations: pairs of captions with the
 * same words in another binding, so only a model that knows which attribute belongs to which
 * thing can tell them apart (a "man riding horse" / "horse riding man" test, as ARO's, on
 * emojis). Each pair is an image, its true caption and its swapped twin; the score is how
 * often the image is closer to its caption than to the twin (eval/binding.ts), chance 50%.
 *
 *   skin tones   two-person emojis give one tone per person, in order:
 *                  "handshake: light skin tone, dark skin tone"           (true)
 *                  "handshake: dark skin tone, light skin tone"           (twin: tones swapped)
 *   genders      mixed couples with two tones, the people swapped instead; two pairs per image,
 *                one with each order of the people, so a model that merely prefers the order
 *                the annotations use ("woman, man") scores 50%, not 100%:
 *                  "kiss: woman, man, light skin tone, dark skin tone"    (true)
 *                  "kiss: man, woman, light skin tone, dark skin tone"    (twin)
 *                  "kiss: man, woman, dark skin tone, light skin tone"    (true, reordered)
 *                  "kiss: woman, man, dark skin tone, light skin tone"    (twin)
 *   facing       people drawn facing left (Unicode's default) or right ("person walking:
 *                facing right"); a bare direction word would change the words, so both
 *                directions are named and one is negated:
 *                  "person walking: facing left, not right"               (true, default drawing)
 *                  "person walking: facing right, not left"               (twin)
 *
 * Every pair's two captions are the same multiset of words (wordBag). Each image's pairs come
 * with their mirror inside the benchmark as far as the split allows — the handshake of (dark,
 * light) is the twin's picture — so a model that ignores the image scores about 50%.
 *
 * The split is the emojis' own split by base emoji (split.ts): every skin-tone variant of a
 * handshake is in the test split, so a model trained on the train split never saw one.
 * Fluent Emoji draws no two-tone emojis: its benchmark holds only the facing pairs.
 */

import { openMojiItems, type OpenMojiItem } from "./metadata.js";
import { splitOfBase, type SplitName } from "./split.js";
import { styleHas, type EmojiStyle } from "./styles.js";

export type BindingKind = "skin tones" | "genders" | "facing";
export const BINDING_KINDS: readonly BindingKind[] = ["skin tones", "genders", "facing"];

/** One test: an emoji's image should be closer to `caption` than to `twin`. */
export interface BindingPair {
  readonly hexcode: string;
  readonly kind: BindingKind;
  readonly caption: string;
  readonly twin: string;
}

/** Unicode's five skin tones, as annotations name them. */
export const SKIN_TONES = ["light skin tone", "medium-light skin tone", "medium skin tone", "medium-dark skin tone", "dark skin tone"] as const;
const isTone = (part: string) => (SKIN_TONES as readonly string[]).includes(part);

/** The words of a text, lower case and sorted: two captions with equal bags differ only in order. */
export function wordBag(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+(?:-[a-z0-9]+)*/g) ?? []).sort();
}

/** "kiss: woman, man, light skin tone" → subject "kiss", parts ["woman", "man", "light skin tone"]. */
function parse(annotation: string): { subject: string; parts: string[] } {
  const colon = annotation.indexOf(": ");
  if (colon < 0) return { subject: annotation, parts: [] };
  return { subject: annotation.slice(0, colon), parts: annotation.slice(colon + 2).split(", ") };
}

const join = (subject: string, parts: readonly string[]) => (parts.length === 0 ? subject : `${subject}: ${parts.join(", ")}`);

/** The annotation with its two (different) skin tones swapped, or null when it has not two different tones. */
export function swapTones(annotation: string): string | null {
  const { subject, parts } = parse(annotation);
  const at = parts.flatMap((part, i) => (isTone(part) ? [i] : []));
  if (at.length !== 2 || parts[at[0]!] === parts[at[1]!]) return null;
  const swapped = [...parts];
  [swapped[at[0]!], swapped[at[1]!]] = [parts[at[1]!]!, parts[at[0]!]!];
  return join(subject, swapped);
}

/**
 * A mixed couple with two different tones, its woman and man swapped ("kiss: woman, man, …" →
 * "kiss: man, woman, …"; "woman and man holding hands: …" → "man and woman holding hands: …"),
 * or null. Without two tones the swap would not change who is who, so it is no binding test.
 */
export function swapGenders(annotation: string): string | null {
  if (swapTones(annotation) === null) return null;
  const { subject, parts } = parse(annotation);
  const people = /^(woman|man) and (woman|man) /.exec(subject);
  if (people !== null && people[1] !== people[2]) return join(`${people[2]} and ${people[1]} ${subject.slice(people[0].length)}`, parts);
  const [first, second] = parts;
  if ((first === "woman" && second === "man") || (first === "man" && second === "woman")) return join(subject, [second, first, ...parts.slice(2)]);
  return null;
}

const FACING_RIGHT = /(: |, )facing right$/;

/** The annotation without its "facing right", and where the direction went. */
function facingStem(annotation: string): string {
  return annotation.replace(FACING_RIGHT, "");
}

/**
 * Which way a person emoji faces: "right" when its annotation says so, "left" when it is the
 * default drawing of an emoji that also comes facing right ("person walking", "person walking:
 * dark skin tone"), else null. `annotations`: every annotation of OpenMoji.
 */
export function facingOf(annotation: string, annotations: ReadonlySet<string>): "left" | "right" | null {
  if (FACING_RIGHT.test(annotation)) return "right";
  const mirrored = annotation.includes(": ") ? `${annotation}, facing right` : `${annotation}: facing right`;
  return annotations.has(mirrored) ? "left" : null;
}

/** "person walking: dark skin tone" + "left" → "person walking: dark skin tone, facing left, not right". */
export function facingCaption(stem: string, direction: "left" | "right"): string {
  const other = direction === "left" ? "right" : "left";
  return `${stem}${stem.includes(": ") ? ", " : ": "}facing ${direction}, not ${other}`;
}

let allAnnotations: ReadonlySet<string> | null = null;
function annotationSet(): ReadonlySet<string> {
  allAnnotations ??= new Set(openMojiItems().map((item) => item.annotation));
  return allAnnotations;
}

/** The binding pairs an emoji gives (none for most). */
export function bindingPairsOf(item: OpenMojiItem, annotations: ReadonlySet<string> = annotationSet()): BindingPair[] {
  const { hexcode, annotation } = item;
  const pairs: BindingPair[] = [];
  const tonesSwapped = swapTones(annotation);
  if (tonesSwapped !== null) pairs.push({ hexcode, kind: "skin tones", caption: annotation, twin: tonesSwapped });
  const gendersSwapped = swapGenders(annotation);
  if (gendersSwapped !== null && tonesSwapped !== null) {
    pairs.push({ hexcode, kind: "genders", caption: annotation, twin: gendersSwapped });
    // the same truth with the people in the other order: both genders and tones swapped
    pairs.push({ hexcode, kind: "genders", caption: swapGenders(tonesSwapped)!, twin: tonesSwapped });
  }
  const facing = facingOf(annotation, annotations);
  if (facing !== null) {
    const stem = facingStem(annotation);
    pairs.push({ hexcode, kind: "facing", caption: facingCaption(stem, facing), twin: facingCaption(stem, facing === "left" ? "right" : "left") });
  }
  return pairs;
}

/**
 * A caption's swapped twin for training with hard negatives (train/ --hard-negatives), when the
 * emoji's annotation has a binding to swap: the tones swapped, or the direction turned
 * ("person walking" ↔ "person walking: facing right"); null otherwise. The facing twin
 * changes a word rather than the order — training captions never say "not left" — so it is a
 * contrast of direction the benchmark's negated phrasing then tests from another angle.
 */
export function annotationTwin(annotation: string, annotations: ReadonlySet<string> = annotationSet()): string | null {
  const tones = swapTones(annotation);
  if (tones !== null) return tones;
  const facing = facingOf(annotation, annotations);
  if (facing === "right") return facingStem(annotation);
  if (facing === "left") return annotation.includes(": ") ? `${annotation}, facing right` : `${annotation}: facing right`;
  return null;
}

/** The emojis of a split that a style draws and that give binding pairs, in OpenMoji's order. */
export function bindingItems(split: SplitName | "all", style: EmojiStyle): OpenMojiItem[] {
  return openMojiItems().filter((item) => (split === "all" || splitOfBase(item.baseHexcode) === split) && styleHas(style, item.hexcode) && bindingPairsOf(item).length > 0);
}

/** Every pair of a split in a style, emoji after emoji. */
export function bindingPairs(split: SplitName | "all", style: EmojiStyle): BindingPair[] {
  return bindingItems(split, style).flatMap((item) => bindingPairsOf(item));
}
