/**
 * Augmentations for drawings: each shows the model the same concept in a form it has not
 * seen, so it learns the concept rather than one set of pixels. Colour is left alone on
 * purpose: in emoji it carries meaning (skin tones, a red heart against a blue one).
 *
 *   randomAffine       rotate by θ ~ U(-degrees, degrees) about the centre and shift by
 *                      (tx, ty) ~ U(-translate, translate) × size; every output pixel p samples
 *                      the input at R(-θ)(p - c - t) + c bilinearly; outside the image, `fill`
 *   recolourBackground the background — near-white pixels (every channel ≥ 248) reachable
 *                      from the border through near-white pixels — painted one colour; white
 *                      inside a drawing (eyes, teeth) is not reachable and stays
 *   augmentDrawing     the pipeline: background (with probability `background`, a random light
 *                      colour), RandomResizedCrop over `scale`, then the affine with the
 *                      background as fill
 *
 * Each keeps the size asked for and values in [0, 255], and draws only from the Generator
 * given, so a seed gives the same images everywhere.
 */

import { defaultGenerator, type Generator } from "@duet/tensor";
import { checkImage, checkSize, createImage, ImageError, type RgbImage } from "./image.js";
import { randomResizedCrop, DEFAULT_RATIO } from "./random-resized-crop.js";

export type Rgb = readonly [number, number, number];

const WHITE: Rgb = [255, 255, 255];

/** The level from which a pixel counts as white background (anti-aliased edges stay drawing). */
const NEAR_WHITE = 248;

export interface AffineOptions {
  /** Largest rotation in degrees, either way. */
  degrees?: number;
  /** Largest shift as a fraction of the width and height, either way. */
  translate?: number;
  fill?: Rgb;
  generator?: Generator;
}

/** U(lo, hi) from the generator. */
function uniform(generator: Generator, lo: number, hi: number): number {
  return lo + (hi - lo) * generator.nextFloat();
}

/** Rotates by `angle` radians about the centre and shifts by (tx, ty) pixels; bilinear, `fill` outside. */
export function affine(image: RgbImage, angle: number, tx: number, ty: number, fill: Rgb = WHITE): RgbImage {
  checkImage("affine", image);
  const { width: w, height: h, data } = image;
  const out = createImage(w, h);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const at = (x: number, y: number, c: number) => (x < 0 || y < 0 || x >= w || y >= h ? fill[c]! : data[(y * w + x) * 3 + c]!);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // the inverse map: where output pixel (x, y) comes from
      const dx = x - cx - tx;
      const dy = y - cy - ty;
      const sx = cos * dx + sin * dy + cx;
      const sy = -sin * dx + cos * dy + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0; c < 3; c++) {
        const top = at(x0, y0, c) * (1 - fx) + at(x0 + 1, y0, c) * fx;
        const bottom = at(x0, y0 + 1, c) * (1 - fx) + at(x0 + 1, y0 + 1, c) * fx;
        out.data[(y * w + x) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return out;
}

/** A random rotation and shift (see the file comment). */
export function randomAffine(image: RgbImage, options: AffineOptions = {}): RgbImage {
  const degrees = options.degrees ?? 0;
  const translate = options.translate ?? 0;
  if (!(degrees >= 0 && degrees <= 180)) throw new ImageError("randomAffine", `degrees must be in [0, 180], got ${degrees}`);
  if (!(translate >= 0 && translate <= 1)) throw new ImageError("randomAffine", `translate must be in [0, 1], got ${translate}`);
  const generator = options.generator ?? defaultGenerator;
  const angle = (uniform(generator, -degrees, degrees) * Math.PI) / 180;
  const tx = uniform(generator, -translate, translate) * image.width;
  const ty = uniform(generator, -translate, translate) * image.height;
  return affine(image, angle, tx, ty, options.fill ?? WHITE);
}

/** The image with its border-connected near-white background painted `colour`. */
export function recolourBackground(image: RgbImage, colour: Rgb): RgbImage {
  checkImage("recolourBackground", image);
  const { width: w, height: h, data } = image;
  const out = createImage(w, h);
  out.data.set(data);
  const white = (i: number) => data[i * 3]! >= NEAR_WHITE && data[i * 3 + 1]! >= NEAR_WHITE && data[i * 3 + 2]! >= NEAR_WHITE;
  const seen = new Uint8Array(w * h);
  const stack: number[] = [];
  const push = (i: number) => {
    if (seen[i] === 0 && white(i)) {
      seen[i] = 1;
      stack.push(i);
    }
  };
  for (let x = 0; x < w; x++) {
    push(x);
    push((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    push(y * w);
    push(y * w + w - 1);
  }
  // an explicit stack, not recursion: a large background would overflow the call stack
  while (stack.length > 0) {
    const i = stack.pop()!;
    out.data[i * 3] = colour[0];
    out.data[i * 3 + 1] = colour[1];
    out.data[i * 3 + 2] = colour[2];
    const x = i % w;
    if (x > 0) push(i - 1);
    if (x < w - 1) push(i + 1);
    if (i >= w) push(i - w);
    if (i < (h - 1) * w) push(i + w);
  }
  return out;
}

export interface DrawingAugmentOptions {
  /** RandomResizedCrop's area range (open_clip: [0.9, 1]). */
  scale: readonly [number, number];
  /** RandomResizedCrop's aspect range (default torchvision's [3/4, 4/3]). */
  ratio?: readonly [number, number];
  /** Largest rotation in degrees (default 0). */
  degrees?: number;
  /** Largest shift as a fraction of the size (default 0). */
  translate?: number;
  /** Probability of a random light background instead of white (default 0). */
  background?: number;
}

/** The light colours a background is drawn from: every channel in [160, 255]. */
function lightColour(generator: Generator): Rgb {
  return [0, 1, 2].map(() => 160 + generator.nextInt(96)) as unknown as Rgb;
}

/** The augmentation pipeline for a drawing on white (see the file comment), to size × size. */
export function augmentDrawing(image: RgbImage, size: number, options: DrawingAugmentOptions, generator: Generator = defaultGenerator): RgbImage {
  checkSize("augmentDrawing", size, size, "size");
  const p = options.background ?? 0;
  if (!(p >= 0 && p <= 1)) throw new ImageError("augmentDrawing", `background must be a probability in [0, 1], got ${p}`);
  let background: Rgb = WHITE;
  let out = image;
  if (p > 0 && generator.nextFloat() < p) {
    background = lightColour(generator);
    out = recolourBackground(out, background);
  }
  out = randomResizedCrop(out, size, { scale: options.scale, ratio: options.ratio ?? DEFAULT_RATIO, generator });
  if ((options.degrees ?? 0) > 0 || (options.translate ?? 0) > 0) out = randomAffine(out, { degrees: options.degrees, translate: options.translate, fill: background, generator });
  return out;
}
