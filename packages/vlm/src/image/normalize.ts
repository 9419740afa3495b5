/**
 * From 8-bit RGB to the float32 CHW tensor a vision tower eats, as torchvision's
 * ToTensor then Normalize compute it in float32:
 *
 *   x = float32(v) / 255                      ToTensor
 *   y = (x - float32(mean[c])) / float32(std[c])   Normalize (sub_ then div_)
 *
 * Each step is rounded to float32 (Math.fround) exactly where PyTorch rounds, so the values
 * are bit-identical to open_clip's. (A float32 +, -, / computed in float64 and then rounded
 * to float32 gives the correctly rounded float32 result, because 53 >= 2 * 24 + 2.)
 */

import { allocate, Tensor } from "@duet/tensor";
import { checkImage, ImageError, type RgbImage } from "./image.js";

/** CLIP's (OpenAI's) per-channel mean and std of its training images, in [0, 1] units. */
export const CLIP_MEAN: readonly [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: readonly [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

export interface NormalizeOptions {
  mean?: readonly number[];
  std?: readonly number[];
}

/** ToTensor: [3, height, width] float32 in [0, 1]. */
export function toTensor(image: RgbImage): Tensor {
  checkImage("toTensor", image);
  return planes(image, [0, 0, 0], [1, 1, 1]);
}

/** Normalize: (x - mean[c]) / std[c] per channel of a [3, H, W] or [N, 3, H, W] float32 tensor. */
export function normalize(tensor: Tensor, options: NormalizeOptions = {}): Tensor {
  const { mean, std } = meanStd("normalize", options);
  const shape = tensor.shape;
  const channelAxis = shape.length - 3;
  if ((shape.length !== 3 && shape.length !== 4) || shape[channelAxis] !== 3 || tensor.dtype !== "float32") {
    throw new ImageError("normalize", `expected a float32 tensor of shape [3,H,W] or [N,3,H,W], got ${tensor.dtype} [${shape.join(",")}]`);
  }
  const src = tensor.contiguousData();
  const out = allocate("float32", src.length);
  const plane = shape[channelAxis + 1]! * shape[channelAxis + 2]!;
  for (let i = 0; i < src.length; i++) {
    const c = Math.floor(i / plane) % 3;
    out[i] = Math.fround(Math.fround(src[i]! - mean[c]!) / std[c]!);
  }
  return new Tensor(out, shape);
}

/** ToTensor and Normalize in one pass (the same float32 roundings as doing them in turn). */
export function imageToTensor(image: RgbImage, options: NormalizeOptions = {}): Tensor {
  checkImage("imageToTensor", image);
  const { mean, std } = meanStd("imageToTensor", options);
  return planes(image, mean, std);
}

function planes(image: RgbImage, mean: readonly number[], std: readonly number[]): Tensor {
  const plane = image.width * image.height;
  const out = allocate("float32", plane * 3);
  for (let c = 0; c < 3; c++) {
    // The 256 possible outputs of a channel, computed once.
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) {
      const x = Math.fround(v / 255);
      table[v] = Math.fround(Math.fround(x - mean[c]!) / std[c]!);
    }
    for (let i = 0; i < plane; i++) out[c * plane + i] = table[image.data[i * 3 + c]!]!;
  }
  return new Tensor(out, [3, image.height, image.width]);
}

/** mean and std as float32, as `torch.as_tensor(mean, dtype=float32)` makes them. */
function meanStd(op: string, options: NormalizeOptions): { mean: number[]; std: number[] } {
  const mean = options.mean ?? CLIP_MEAN;
  const std = options.std ?? CLIP_STD;
  if (mean.length !== 3 || std.length !== 3) throw new ImageError(op, `mean and std need 3 values each, got ${mean.length} and ${std.length}`);
  if (!mean.every(Number.isFinite) || !std.every((s) => Number.isFinite(s) && Math.fround(s) !== 0)) {
    throw new ImageError(op, `mean must be finite and std finite and non-zero, got mean [${mean.join(", ")}], std [${std.join(", ")}]`);
  }
  return { mean: mean.map(Math.fround), std: std.map(Math.fround) };
}
