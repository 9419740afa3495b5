/**
 * torchvision's RandomResizedCrop, the crop open_clip trains with
 * (`RandomResizedCrop(size, scale=(0.9, 1.0), interpolation=BICUBIC)`, ratio at torchvision's
 * default (3/4, 4/3)): pick a region covering a random fraction `scale` of the image's area
 * with a random aspect ratio (log-uniform in `ratio`), at a random position; after 10 draws
 * that do not fit, fall back to the largest centred crop whose aspect lies within `ratio`.
 * Then resize it to size x size with Pillow's bicubic.
 *
 * Same algorithm as torchvision, but random numbers come from Duet's seeded Generator, so a
 * seed gives the same crops on every machine (not the same crops as torch's generator).
 */

import { defaultGenerator, type Generator } from "@duet/tensor";
import { resizedCrop, pythonRound, type CropSize } from "./geometry.js";
import { checkImage, checkSize, ImageError, type RgbImage } from "./image.js";

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image's (open_clip's default [0.9, 1.0]). */
  scale?: readonly [number, number];
  /** Range of the crop's width / height (torchvision's default [3/4, 4/3]). */
  ratio?: readonly [number, number];
  generator?: Generator;
}

export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

export const OPEN_CLIP_TRAIN_SCALE: readonly [number, number] = [0.9, 1.0];
export const DEFAULT_RATIO: readonly [number, number] = [3 / 4, 4 / 3];

/** torchvision's `RandomResizedCrop.get_params`: the region to crop. */
export function randomResizedCropParams(width: number, height: number, options: RandomResizedCropOptions = {}): CropBox {
  checkSize("randomResizedCrop", width, height, "image size");
  const { scale, ratio, generator } = checkOptions(options);
  const area = height * width;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * uniform(generator, scale[0], scale[1]);
    const aspectRatio = Math.exp(uniform(generator, logRatio[0], logRatio[1]));
    const w = pythonRound(Math.sqrt(targetArea * aspectRatio));
    const h = pythonRound(Math.sqrt(targetArea / aspectRatio));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = generator.nextInt(height - h + 1);
      const left = generator.nextInt(width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  // Fallback: a centred crop, clamped to the ratio range.
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < Math.min(...ratio)) {
    w = width;
    h = pythonRound(w / Math.min(...ratio));
  } else if (inRatio > Math.max(...ratio)) {
    h = height;
    w = pythonRound(h * Math.max(...ratio));
  } else {
    w = width;
    h = height;
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/** A random crop of `image` (see randomResizedCropParams), resized to `size` with bicubic. */
export function randomResizedCrop(image: RgbImage, size: CropSize, options: RandomResizedCropOptions = {}): RgbImage {
  checkImage("randomResizedCrop", image);
  const box = randomResizedCropParams(image.width, image.height, options);
  return resizedCrop(image, box.top, box.left, box.height, box.width, size);
}

/** Uniform in [low, high), as torch's `uniform_(low, high)`. */
function uniform(generator: Generator, low: number, high: number): number {
  return low + (high - low) * generator.nextDouble();
}

function checkOptions(options: RandomResizedCropOptions): { scale: readonly [number, number]; ratio: readonly [number, number]; generator: Generator } {
  const scale = options.scale ?? OPEN_CLIP_TRAIN_SCALE;
  const ratio = options.ratio ?? DEFAULT_RATIO;
  const ok = (pair: readonly number[]): boolean => pair.length === 2 && pair.every((v) => Number.isFinite(v) && v > 0) && pair[0]! <= pair[1]!;
  if (!ok(scale)) throw new ImageError("randomResizedCrop", `scale must be [low, high] with 0 < low <= high, got [${scale.join(", ")}]`);
  if (!ok(ratio)) throw new ImageError("randomResizedCrop", `ratio must be [low, high] with 0 < low <= high, got [${ratio.join(", ")}]`);
  return { scale, ratio, generator: options.generator ?? defaultGenerator };
}
