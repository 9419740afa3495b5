/**
 * Crops, padding and the size arithmetic of torchvision's Resize and CenterCrop on PIL
 * images, which open_clip's eval transform is made of. Sizes follow torchvision's
 * conventions exactly, down to Python's int() truncation and round-half-to-even.
 */

import { checkImage, checkSize, ImageError, type RgbImage } from "./image.js";
import { resize } from "./resample.js";

/** Python 3's round(): to the nearest integer, ties to even (round(0.5) = 0, round(1.5) = 2). */
export function pythonRound(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor; // exact for doubles
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** A size given as one number (square) or as [height, width], torchvision's order. */
export type CropSize = number | readonly [number, number];

function heightWidth(op: string, size: CropSize): [number, number] {
  const [h, w] = typeof size === "number" ? [size, size] : size;
  checkSize(op, w, h, "size");
  return [h, w];
}

/**
 * The region of `image` with top-left (left, top) and the given size, as PIL's
 * `image.crop((left, top, left + width, top + height))`: parts outside the image are black.
 */
export function crop(image: RgbImage, top: number, left: number, height: number, width: number): RgbImage {
  checkImage("crop", image);
  checkSize("crop", width, height, "crop size");
  if (!Number.isInteger(top) || !Number.isInteger(left)) throw new ImageError("crop", `top and left must be integers, got ${top}, ${left}`);
  const out = new Uint8Array(width * height * 3);
  const x0 = Math.max(0, left);
  const x1 = Math.min(image.width, left + width);
  if (x1 > x0) {
    for (let y = Math.max(0, top); y < Math.min(image.height, top + height); y++) {
      const from = (y * image.width + x0) * 3;
      out.set(image.data.subarray(from, from + (x1 - x0) * 3), ((y - top) * width + (x0 - left)) * 3);
    }
  }
  return { width, height, data: out };
}

/**
 * torchvision's CenterCrop: pads with black if the image is smaller than the crop
 * (left/top get the smaller half of the padding), then crops at
 * top = round((h - cropH) / 2), left = round((w - cropW) / 2), with Python's round.
 */
export function centerCrop(image: RgbImage, size: CropSize): RgbImage {
  checkImage("centerCrop", image);
  const [cropHeight, cropWidth] = heightWidth("centerCrop", size);
  let padLeft = 0;
  let padTop = 0;
  let width = image.width;
  let height = image.height;
  if (cropWidth > width || cropHeight > height) {
    padLeft = cropWidth > width ? Math.floor((cropWidth - width) / 2) : 0;
    padTop = cropHeight > height ? Math.floor((cropHeight - height) / 2) : 0;
    width = Math.max(width, cropWidth);
    height = Math.max(height, cropHeight);
  }
  const top = pythonRound((height - cropHeight) / 2.0);
  const left = pythonRound((width - cropWidth) / 2.0);
  // Padding then cropping is one crop of the original, with black outside it.
  return crop(image, top - padTop, left - padLeft, cropHeight, cropWidth);
}

/**
 * The output size of torchvision's `Resize(size)` with an int: the short side becomes
 * `size`, the long side int(size * long / short), truncated as Python's int() does.
 */
export function shortSideSize(width: number, height: number, size: number): { width: number; height: number } {
  checkSize("shortSideSize", width, height, "image size");
  checkSize("shortSideSize", size, size, "size");
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? { width: size, height: newLong } : { width: newLong, height: size };
}

/** torchvision's `Resize(size, interpolation=BICUBIC)` with an int size, on a PIL image. */
export function resizeShortSide(image: RgbImage, size: number): RgbImage {
  checkImage("resizeShortSide", image);
  const out = shortSideSize(image.width, image.height, size);
  if (out.width === image.width && out.height === image.height) return image; // torchvision returns the image itself
  return resize(image, out.width, out.height);
}

/** torchvision's `F.resized_crop` on a PIL image: crop (black outside), then bicubic resize. */
export function resizedCrop(image: RgbImage, top: number, left: number, height: number, width: number, size: CropSize): RgbImage {
  const [outHeight, outWidth] = heightWidth("resizedCrop", size);
  return resize(crop(image, top, left, height, width), outWidth, outHeight);
}
