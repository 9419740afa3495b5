/**
 * Resizing exactly as Pillow's `Image.resize(size, Image.BICUBIC)` does for 8-bit RGB
 * (libImaging/Resample.c, ImagingResample), which is what open_clip's eval transform runs
 * through torchvision's Resize on PIL images. Every step below mirrors a step of Pillow's C
 * code, in the same order and with the same arithmetic, so results are bit-identical:
 *
 * 1. Per output pixel, a filter window: `center = in0 + (x + 0.5) * scale`, where `scale` is
 *    input/output size. When shrinking, the bicubic kernel is stretched by `scale` (its
 *    support grows from 2 to 2 * scale input pixels): that is the antialiasing.
 * 2. Weights = kernel values over the window, divided by their sum (so they add to 1), then
 *    turned into fixed point with PRECISION_BITS = 22 fractional bits, rounded half away
 *    from zero.
 * 3. Two separable passes, horizontal first: only the rows the vertical pass will read are
 *    resampled horizontally, and that intermediate is clipped to uint8 (as Pillow stores it
 *    in an 8-bit image) before the vertical pass.
 * 4. Each output value: (2^21 + sum(pixel * weight)) >> 22, clipped to [0, 255].
 *
 * The kernel is Keys' cubic convolution with a = -0.5 (Pillow's BICUBIC).
 */

import { checkImage, checkSize, ImageError, type RgbImage } from "./image.js";

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
const BICUBIC_SUPPORT = 2.0;

/** Keys' cubic convolution kernel, a = -0.5, written as Pillow's `bicubic_filter`. */
export function bicubicKernel(x: number): number {
  const a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

/** The filter windows of one axis: output pixel i reads `count[i]` inputs from `start[i]`. */
export interface ResampleCoefficients {
  /** The stride of `weights`: the most inputs any output reads. */
  ksize: number;
  start: Int32Array;
  count: Int32Array;
  /** Fixed-point weights (2^22 = 1.0), `ksize` per output pixel. */
  weights: Int32Array;
}

/**
 * Pillow's `precompute_coeffs` followed by `normalize_coeffs_8bpc`, for the input span
 * [in0, in1) of an axis of `inSize` pixels mapped onto `outSize` pixels. `in0` and `in1` are
 * float32 in Pillow (the resize box is `float box[4]`), hence the Math.fround.
 */
export function precomputeCoefficients(inSize: number, in0: number, in1: number, outSize: number): ResampleCoefficients {
  in0 = Math.fround(in0);
  in1 = Math.fround(in1);
  const scale = Math.fround(in1 - in0) / outSize;
  const filterScale = scale < 1.0 ? 1.0 : scale;
  const support = BICUBIC_SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const invFilterScale = 1.0 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero; a negative xmin is clamped right after.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0.0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubicKernel((x + xmin - center + 0.5) * invFilterScale);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0.0 ? k[x]! / ww : k[x]!;
      // Round half away from zero, then truncate: Pillow's (int)(±0.5 + w * (1 << 22)).
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[xx] = xmin;
    count[xx] = Math.max(xmax, 0);
  }
  return { ksize, start, count, weights };
}

/** Pillow's clip8: the fixed-point sum back to a byte. The sum fits in int32 (2 spare bits). */
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

export interface ResizeOptions {
  /**
   * The source region [left, top, right, bottom] (floats allowed) that is mapped onto the
   * output, as Pillow's `box` argument; the whole image by default.
   */
  box?: readonly [number, number, number, number];
}

/** `image` resampled to width x height with Pillow's antialiased bicubic filter. */
export function resize(image: RgbImage, width: number, height: number, options: ResizeOptions = {}): RgbImage {
  checkImage("resize", image);
  checkSize("resize", width, height, "output size");
  const box = checkBox(image, options.box);
  const [left, top, right, bottom] = box.map(Math.fround) as [number, number, number, number];

  // Pillow's _imaging.c: an integer box as large as the output is a plain crop.
  if (Number.isInteger(left) && Number.isInteger(top) && right - left === width && bottom - top === height) {
    return cropInside(image, left, top, width, height);
  }
  const needHorizontal = width !== image.width || left !== 0 || right !== width;
  const needVertical = height !== image.height || top !== 0 || bottom !== height;

  const vertical = precomputeCoefficients(image.height, top, bottom, height);
  // Only the rows the vertical pass reads get a horizontal pass.
  const firstRow = vertical.start[0]!;
  const lastRow = vertical.start[height - 1]! + vertical.count[height - 1]!;

  let current = image;
  let rowOffset = 0;
  if (needHorizontal) {
    const horizontal = precomputeCoefficients(image.width, left, right, width);
    current = resampleHorizontal(image, horizontal, firstRow, lastRow - firstRow);
    rowOffset = firstRow;
  }
  if (needVertical) {
    current = resampleVertical(current, vertical, rowOffset, height);
  }
  return current === image ? { width: image.width, height: image.height, data: image.data.slice() } : current;
}

function resampleHorizontal(image: RgbImage, c: ResampleCoefficients, firstRow: number, rows: number): RgbImage {
  const outWidth = c.start.length;
  const src = image.data;
  const out = new Uint8Array(outWidth * rows * 3);
  for (let y = 0; y < rows; y++) {
    const rowBase = (y + firstRow) * image.width * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const kBase = xx * c.ksize;
      let p = rowBase + c.start[xx]! * 3;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let x = 0, n = c.count[xx]!; x < n; x++, p += 3) {
        const w = c.weights[kBase + x]!;
        r += src[p]! * w;
        g += src[p + 1]! * w;
        b += src[p + 2]! * w;
      }
      const o = (y * outWidth + xx) * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return { width: outWidth, height: rows, data: out };
}

/** `rowOffset` is the source row that row 0 of `image` stands for (after a horizontal pass). */
function resampleVertical(image: RgbImage, c: ResampleCoefficients, rowOffset: number, outHeight: number): RgbImage {
  const width = image.width;
  const stride = width * 3;
  const src = image.data;
  const out = new Uint8Array(stride * outHeight);
  for (let yy = 0; yy < outHeight; yy++) {
    const kBase = yy * c.ksize;
    const first = c.start[yy]! - rowOffset;
    const n = c.count[yy]!;
    for (let i = 0; i < stride; i++) {
      let sum = HALF;
      let p = first * stride + i;
      for (let y = 0; y < n; y++, p += stride) sum += src[p]! * c.weights[kBase + y]!;
      out[yy * stride + i] = clip8(sum);
    }
  }
  return { width, height: outHeight, data: out };
}

function checkBox(image: RgbImage, box: ResizeOptions["box"]): [number, number, number, number] {
  if (box === undefined) return [0, 0, image.width, image.height];
  if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => Number.isFinite(v))) {
    throw new ImageError("resize", `box must be 4 finite numbers [left, top, right, bottom], got ${JSON.stringify(box)}`);
  }
  const [left, top, right, bottom] = box;
  if (left < 0 || top < 0) throw new ImageError("resize", `box offset can't be negative, got [${box.join(", ")}]`);
  if (right > image.width || bottom > image.height) {
    throw new ImageError("resize", `box [${box.join(", ")}] exceeds the ${image.width}x${image.height} image`);
  }
  if (right - left <= 0 || bottom - top <= 0) throw new ImageError("resize", `box [${box.join(", ")}] is empty`);
  return [left, top, right, bottom];
}

function cropInside(image: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * 3;
    out.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data: out };
}
