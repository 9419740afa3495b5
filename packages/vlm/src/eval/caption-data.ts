/**
 * Images to caption, with what the data says about them: `duet caption` reads any of these,
 * `duet eval caption` the ones with references.
 *
 *   image files        no references
 *   a caption manifest its distinct images; references = every caption of the image
 *   emojis (a split, one or more drawing styles)
 *                      references = every distinct caption the training captioner can give the
 *                      emoji (OpenMojiCaptioner.allCaptions: templates × ordered tag choices);
 *                      its one caption (`captions`) is the annotation, "grinning face"
 */

import { basename } from "node:path";
import { EMOJI_STYLES, OpenMojiCaptioner, openMojiItems, readCaptions, type CaptionManifestOptions, type EmojiStyle, type OpenMoji, type SplitName } from "../data/index.js";
import { readImage, type RgbImage } from "../image/index.js";
import type { ProgressFactory } from "./embed.js";
import { openMojiEvalSet, type OpenMojiEvalSet } from "./openmoji.js";

export interface CaptionSet {
  /** What it is, for output: "openmoji:test", "pairs.csv", "3 images". */
  readonly name: string;
  readonly count: number;
  /** What to call image i in output: its path, or "style:hexcode" for an emoji. */
  label(i: number): string;
  image(i: number): RgbImage | Promise<RgbImage>;
  /** The reference captions of image i for the metrics (empty for plain image files). */
  references(i: number): readonly string[];
  /** The captions the data pairs with image i (a manifest's; an emoji's annotation): what a baseline copies. */
  captions(i: number): readonly string[];
}

/** Image files, captioned without references. */
export function filesCaptionSet(paths: readonly string[]): CaptionSet {
  return {
    name: `${paths.length} image${paths.length === 1 ? "" : "s"}`,
    count: paths.length,
    label: (i) => paths[i]!,
    image: (i) => readImage(paths[i]!),
    references: () => [],
    captions: () => [],
  };
}

/** The distinct images of a caption manifest; an image's references are all its captions, in the file's order. */
export function manifestCaptionSet(manifest: string, options: CaptionManifestOptions = {}): CaptionSet {
  const byImage = new Map<string, string[]>();
  for (const record of readCaptions(manifest, options).records) {
    const list = byImage.get(record.image);
    if (list === undefined) byImage.set(record.image, [record.text]);
    else if (!list.includes(record.text)) list.push(record.text);
  }
  const paths = [...byImage.keys()];
  return {
    name: basename(manifest),
    count: paths.length,
    label: (i) => paths[i]!,
    image: (i) => readImage(paths[i]!),
    references: (i) => byImage.get(paths[i]!)!,
    captions: (i) => byImage.get(paths[i]!)!,
  };
}

/**
 * A split of the emojis in the given drawing styles (style after style), rasterised at `resolution` (cached).
 * `openMoji`: drawings already loaded (`duet demo`'s, a subset with its own split), used for their style.
 */
export async function emojiCaptionSet(resolution: number, styles: readonly EmojiStyle[], split: SplitName | "all", options: { onProgress?: ProgressFactory; limit?: number; openMoji?: OpenMoji } = {}): Promise<CaptionSet> {
  const captioner = new OpenMojiCaptioner(openMojiItems());
  const parts: OpenMojiEvalSet[] = [];
  for (const style of styles) parts.push(await openMojiEvalSet(resolution, split, { style, onProgress: options.onProgress, limit: options.limit, openMoji: options.openMoji }));
  const at = (i: number) => {
    for (const part of parts) {
      if (i < part.images) return { part, k: i };
      i -= part.images;
    }
    throw new RangeError(`emojiCaptionSet: image ${i} is out of range`);
  };
  const item = (i: number) => {
    const { part, k } = at(i);
    return part.openMoji.items[part.indices[k]!]!;
  };
  const references = new Map<string, string[]>();
  const id = styles.length === EMOJI_STYLES.length ? "emoji" : styles.join("+");
  return {
    name: `${id}:${split}`,
    count: parts.reduce((n, part) => n + part.images, 0),
    label: (i) => {
      const { part, k } = at(i);
      return `${part.openMoji.style}:${part.hexcodes[k]}`;
    },
    image: (i) => {
      const { part, k } = at(i);
      return part.image(k);
    },
    references: (i) => {
      const emoji = item(i);
      let list = references.get(emoji.hexcode);
      if (list === undefined) references.set(emoji.hexcode, (list = captioner.allCaptions(emoji)));
      return list;
    },
    captions: (i) => [item(i).annotation],
  };
}
