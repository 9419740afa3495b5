/**
 * A user's manifests as held-out data (held-out.ts): a caption manifest (CSV/TSV `filepath`,
 * `title`, or JSONL) for retrieval and the validation loss; a classification manifest (CSV
 * `filepath`, `label`, or class folders) for zero-shot. Images are decoded when their batch
 * is embedded, so a large set is never in memory as pixels.
 */

import { basename } from "node:path";
import { DEFAULT_TEMPLATES, readCaptions, readClassification, type CaptionManifestOptions, type ClassificationOptions } from "../data/index.js";
import { readImage } from "../image/index.js";
import type { HeldOutData } from "./held-out.js";

/** The distinct images of a caption manifest, each caption pointing at its image. */
export function captionHeldOut(manifest: string, options: CaptionManifestOptions = {}): HeldOutData {
  const records = readCaptions(manifest, options).records;
  const imageIndex = new Map<string, number>();
  const captionImage = Int32Array.from(records, (r) => {
    let i = imageIndex.get(r.image);
    if (i === undefined) imageIndex.set(r.image, (i = imageIndex.size));
    return i;
  });
  const paths = [...imageIndex.keys()];
  return {
    name: basename(manifest),
    images: paths.length,
    image: (i) => readImage(paths[i]!),
    captions: records.map((r) => r.text),
    captionImage,
  };
}

/** The images of a classification manifest with their labels; `templates` default to DEFAULT_TEMPLATES. */
export function classificationHeldOut(manifest: string, options: ClassificationOptions & { classnames?: readonly string[]; templates?: readonly string[] } = {}): HeldOutData {
  const { templates, ...read } = options;
  const data = readClassification(manifest, read);
  return {
    name: basename(manifest),
    images: data.records.length,
    image: (i) => readImage(data.records[i]!.image),
    captions: [],
    captionImage: new Int32Array(0),
    zeroShot: { classes: data.classes, labels: Int32Array.from(data.records, (r) => r.label), templates: templates ?? DEFAULT_TEMPLATES },
  };
}
