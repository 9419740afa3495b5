/**
 * OpenMoji's emojis as held-out data (held-out.ts), in any of the drawing styles
 * (data/openmoji/styles.ts): a split's emojis that the style draws, their annotations as
 * captions ("grinning face"), and all of OpenMoji's subgroups as zero-shot classes ("animal
 * mammal"), named by no training caption — so zero-shot measures the concept, not a memorised
 * label. The classes are the same 119 in every style, so the styles' numbers compare.
 */

import { loadOpenMoji, openMojiClasses, openMojiItems, splitOpenMoji, styleHas, ZERO_SHOT_TEMPLATES, type EmojiStyle, type OpenMoji, type SplitName } from "../data/index.js";
import type { RgbImage } from "../image/image.js";
import type { ProgressFactory } from "./embed.js";
import type { HeldOutData } from "./held-out.js";

/** A split of OpenMoji prepared for evaluation at one resolution. */
export interface OpenMojiEvalSet extends HeldOutData {
  readonly openMoji: OpenMoji;
  /** Indices into openMoji.items of the evaluated emojis. */
  readonly indices: readonly number[];
  readonly hexcodes: readonly string[];
  /** Zero-shot class of each emoji, an index into `classes`. */
  readonly labels: Int32Array;
  /** All of OpenMoji's subgroups as words: the classifier chooses among every one. */
  readonly classes: readonly string[];
  readonly templates: readonly string[];
}

export interface OpenMojiEvalOptions {
  /** Whose drawings (default "openmoji"). */
  style?: EmojiStyle;
  /** Emojis already loaded (the trainer's, the demo's); used when their style and resolution match, else the split is rasterised (cached). */
  openMoji?: OpenMoji;
  /** Only the first `limit` emojis of the split (smoke runs). */
  limit?: number;
  cacheDir?: string;
  onProgress?: ProgressFactory;
}

/** The evaluation set of an OpenMoji split at `resolution`. */
export async function openMojiEvalSet(resolution: number, split: SplitName | "all", options: OpenMojiEvalOptions = {}): Promise<OpenMojiEvalSet> {
  const all = openMojiItems();
  const { classes, labels: allLabels } = openMojiClasses(all);
  const labelOf = new Map(all.map((item, i) => [item.hexcode, allLabels[i]!]));
  const style = options.style ?? "openmoji";
  let openMoji = options.openMoji;
  if (openMoji !== undefined && (openMoji.resolution !== resolution || openMoji.style !== style)) openMoji = undefined;
  let wanted: readonly string[];
  if (openMoji !== undefined) wanted = split === "all" ? openMoji.items.map((item) => item.hexcode) : openMoji.split[split];
  else {
    const drawn = style === "openmoji" ? all : all.filter((item) => styleHas(style, item.hexcode));
    wanted = split === "all" ? drawn.map((item) => item.hexcode) : splitOpenMoji(drawn)[split];
  }
  if (options.limit !== undefined) wanted = wanted.slice(0, options.limit);
  if (openMoji === undefined) {
    const progress = options.onProgress?.(`rasterising ${style} (${split}, ${resolution}px)`, wanted.length);
    try {
      openMoji = await loadOpenMoji({
        style,
        resolution,
        cacheDir: options.cacheDir,
        ...(split === "all" && options.limit === undefined ? {} : { hexcodes: wanted }),
        onProgress: (done) => progress?.update(done),
      });
    } finally {
      progress?.stop();
    }
  }
  const loaded = openMoji;
  const position = new Map(loaded.items.map((item, i) => [item.hexcode, i]));
  const indices = wanted.map((hexcode) => position.get(hexcode)!);
  const labels = Int32Array.from(wanted, (hexcode) => labelOf.get(hexcode)!);
  return {
    name: `${style}:${split}`,
    openMoji: loaded,
    indices,
    hexcodes: wanted,
    images: indices.length,
    image: (k): RgbImage => loaded.image(indices[k]!),
    captions: indices.map((i) => loaded.items[i]!.annotation),
    captionImage: Int32Array.from(indices, (_, k) => k),
    labels,
    classes,
    templates: ZERO_SHOT_TEMPLATES,
    zeroShot: { classes, labels, templates: ZERO_SHOT_TEMPLATES },
  };
}
