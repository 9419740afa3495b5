/**
 * OpenMoji as held-out data (held-out.ts): a split's emojis, their annotations as captions
 * ("grinning face"), and all of OpenMoji's subgroups as zero-shot classes ("animal mammal"),
 * named by no training caption — so zero-shot measures the concept, not a memorised label.
 */

import { loadOpenMoji, openMojiClasses, openMojiItems, splitOpenMoji, ZERO_SHOT_TEMPLATES, type OpenMoji, type SplitName } from "../data/index.js";
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
  /** An OpenMoji already loaded (the trainer's, the demo's); used when its resolution matches, else the split is rasterised (cached). */
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
  let openMoji = options.openMoji;
  if (openMoji !== undefined && openMoji.resolution !== resolution) openMoji = undefined;
  let wanted: readonly string[];
  if (openMoji !== undefined) wanted = split === "all" ? openMoji.items.map((item) => item.hexcode) : openMoji.split[split];
  else wanted = split === "all" ? all.map((item) => item.hexcode) : splitOpenMoji(all)[split];
  if (options.limit !== undefined) wanted = wanted.slice(0, options.limit);
  if (openMoji === undefined) {
    const progress = options.onProgress?.(`rasterising OpenMoji (${split}, ${resolution}px)`, wanted.length);
    try {
      openMoji = await loadOpenMoji({
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
    name: `openmoji:${split}`,
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
