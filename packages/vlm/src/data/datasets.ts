/**
 * Datasets over manifests: each sample's image is loaded by an `ImageLoader` when the loader
 * asks for it, so a manifest of a million rows costs a million paths, not a million images.
 * The image loaders wire the image pipeline (../image) in: evaluation as open_clip evaluates
 * (resize, centre crop, normalise), training with RandomResizedCrop drawn from the sample's
 * own Generator, so augmentation is as deterministic as the order.
 */

import { readFile } from "node:fs/promises";
import type { Tensor } from "@duet/tensor";
import { decodeImage, imageToTensor, preprocess, randomResizedCrop, type NormalizeOptions } from "../image/index.js";
import type { CaptionRecord } from "./captions.js";
import type { ClassificationManifest } from "./classification.js";
import type { Dataset, SampleContext } from "./loader.js";

/** Turns an image path into the [3, H, W] float32 tensor the image tower takes. */
export type ImageLoader = (path: string, context: SampleContext) => Tensor | Promise<Tensor>;

export interface CaptionSample {
  readonly image: Tensor;
  readonly text: string;
  /** Index of the record in the manifest. */
  readonly index: number;
}

export interface LabelledSample {
  readonly image: Tensor;
  /** Index into the manifest's classes. */
  readonly label: number;
  readonly index: number;
}

/** A fixed list of samples. */
export function arrayDataset<T>(items: readonly T[]): Dataset<T> {
  return { length: items.length, get: (index) => items[index]! };
}

export function captionDataset(records: readonly CaptionRecord[], loadImage: ImageLoader): Dataset<CaptionSample> {
  return {
    length: records.length,
    get: async (index, context) => {
      const record = records[index]!;
      return { image: await loadImage(record.image, context), text: record.text, index };
    },
  };
}

export function classificationDataset(manifest: ClassificationManifest, loadImage: ImageLoader): Dataset<LabelledSample> {
  const { records } = manifest;
  return {
    length: records.length,
    get: async (index, context) => {
      const record = records[index]!;
      return { image: await loadImage(record.image, context), label: record.label, index };
    },
  };
}

/** open_clip's eval transform: decode, resize the short side to `size`, centre-crop, normalise. */
export function evalImageLoader(size: number, options: NormalizeOptions = {}): ImageLoader {
  return async (path) => preprocess(decodeImage(await readFile(path), path), size, options);
}

/** open_clip's train transform: RandomResizedCrop(size, scale) from the sample's Generator, then normalise. */
export function trainImageLoader(size: number, options: NormalizeOptions & { scale?: readonly [number, number] } = {}): ImageLoader {
  const { scale, ...normalize } = options;
  return async (path, context) => {
    const image = decodeImage(await readFile(path), path);
    const crop = randomResizedCrop(image, size, scale === undefined ? { generator: context.generator } : { generator: context.generator, scale });
    return imageToTensor(crop, normalize);
  };
}
