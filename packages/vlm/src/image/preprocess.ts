/**
 * open_clip's eval transform for a square model input of `size` pixels:
 *
 *   Resize(size, interpolation=BICUBIC)   short side to `size`, Pillow's antialiased bicubic
 *   CenterCrop(size)                      round-half-to-even offsets
 *   convert("RGB"), ToTensor, Normalize   CLIP's mean and std, float32
 *
 * giving the [3, size, size] float32 tensor the image tower takes.
 */

import type { Tensor } from "@duet/tensor";
import { centerCrop, resizeShortSide } from "./geometry.js";
import { checkImage, checkSize, type RgbImage } from "./image.js";
import { imageToTensor, type NormalizeOptions } from "./normalize.js";

/** The resized and centre-cropped image, before it becomes a tensor. */
export function resizeAndCenterCrop(image: RgbImage, size: number): RgbImage {
  checkImage("preprocess", image);
  checkSize("preprocess", size, size, "size");
  return centerCrop(resizeShortSide(image, size), size);
}

export function preprocess(image: RgbImage, size: number, options: NormalizeOptions = {}): Tensor {
  return imageToTensor(resizeAndCenterCrop(image, size), options);
}
