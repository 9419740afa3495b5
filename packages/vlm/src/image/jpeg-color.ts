/**
 * The last two steps of a JPEG decoder — chroma upsampling and YCbCr to RGB — done the way
 * libjpeg-turbo (Pillow's decoder) does them, on the component samples jpeg-js decoded. Most
 * photos store colour at half resolution (4:2:0); jpeg-js repeats each chroma sample, libjpeg
 * interpolates ("fancy upsampling", a triangle filter), and the two differ by up to ~25 levels
 * at colour edges. Redoing these steps here leaves only the inverse-DCT rounding, a level or
 * two, between this decoder and Pillow's.
 *
 * Fancy upsampling (libjpeg-turbo jdsample.c): each output sample is 3/4 the nearer input
 * sample plus 1/4 the next nearer, per subsampled direction; rows and columns beyond the
 * edges repeat the edge; 0.5 rounds up and down alternately (the +1/+2 and +7/+8 biases).
 * Colour (jdcolor.c): 16-bit fixed-point tables, R = Y + 1.402 Cr', G = Y - 0.34414 Cb' -
 * 0.71414 Cr', B = Y + 1.772 Cb' (Cb' = Cb - 128), clamped to [0, 255].
 */

/** A component's sampling factors, as the JPEG frame header gives them. */
export interface Sampling {
  h: number;
  v: number;
}

const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const fix = (x: number): number => Math.trunc(x * (1 << SCALEBITS) + 0.5);

const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (fix(1.402) * x + ONE_HALF) >> SCALEBITS;
  CB_B[i] = (fix(1.772) * x + ONE_HALF) >> SCALEBITS;
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/**
 * `samples` is jpeg-js's output without colour transform: Y, Cb, Cr per pixel at full size,
 * chroma repeated where it was subsampled. Returns RGB.
 */
export function ycbcrToRgb(samples: Uint8Array, width: number, height: number, sampling: readonly Sampling[]): Uint8Array {
  const maxH = Math.max(...sampling.map((s) => s.h));
  const maxV = Math.max(...sampling.map((s) => s.v));
  const lumaFull = sampling[0]!.h === maxH && sampling[0]!.v === maxV;
  const cb = chromaPlane(samples, 1, width, height, lumaFull ? sampling[1]! : null, maxH, maxV);
  const cr = chromaPlane(samples, 2, width, height, lumaFull ? sampling[2]! : null, maxH, maxV);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, p = 0; i < width * height; i++, p += 3) {
    const y = samples[p]!;
    const b = cb[i]!;
    const r = cr[i]!;
    rgb[p] = clamp(y + CR_R[r]!);
    rgb[p + 1] = clamp(y + ((CB_G[b]! + CR_G[r]!) >> SCALEBITS));
    rgb[p + 2] = clamp(y + CB_B[b]!);
  }
  return rgb;
}

/** One chroma channel at full size: re-upsampled as libjpeg does when the ratio is 2:1. */
function chromaPlane(samples: Uint8Array, channel: number, width: number, height: number, s: Sampling | null, maxH: number, maxV: number): Uint8Array {
  const full = new Uint8Array(width * height);
  for (let i = 0; i < full.length; i++) full[i] = samples[i * 3 + channel]!;
  if (s === null) return full;
  const hr = maxH / s.h;
  const vr = maxV / s.v;
  const fancy = (hr === 2 && (vr === 1 || vr === 2)) || (hr === 1 && vr === 2);
  if (!fancy) return full;
  // The stored (subsampled) plane: jpeg-js repeated sample j at columns hr*j .. hr*j+hr-1.
  const w = Math.ceil(width / hr);
  const h = Math.ceil(height / vr);
  if (hr === 2 && w <= 2) return full; // libjpeg repeats samples too when a row has <= 2 of them
  const plane = new Int32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) plane[y * w + x] = full[y * vr * width + x * hr]!;
  const up = hr === 2 && vr === 2 ? h2v2 : hr === 2 ? h2v1 : h1v2;
  return up(plane, w, h, width, height);
}

/** Rows [y-1, y, y+1] of the plane, repeating the first and last rows beyond the edges. */
const row = (y: number, h: number): number => (y < 0 ? 0 : y >= h ? h - 1 : y);

function h2v1(plane: Int32Array, w: number, h: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const line = new Uint8Array(2 * w);
  for (let y = 0; y < h; y++) {
    const p = y * w;
    line[0] = plane[p]!;
    line[1] = (plane[p]! * 3 + plane[p + 1]! + 2) >> 2;
    for (let x = 1; x < w - 1; x++) {
      const v = plane[p + x]! * 3;
      line[2 * x] = (v + plane[p + x - 1]! + 1) >> 2;
      line[2 * x + 1] = (v + plane[p + x + 1]! + 2) >> 2;
    }
    line[2 * w - 2] = (plane[p + w - 1]! * 3 + plane[p + w - 2]! + 1) >> 2;
    line[2 * w - 1] = plane[p + w - 1]!;
    out.set(line.subarray(0, width), y * width);
  }
  return out;
}

function h1v2(plane: Int32Array, w: number, h: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const near = y >> 1;
    const far = row(y & 1 ? near + 1 : near - 1, h);
    const bias = y & 1 ? 2 : 1;
    for (let x = 0; x < w; x++) out[y * width + x] = (plane[near * w + x]! * 3 + plane[far * w + x]! + bias) >> 2;
  }
  return out;
}

function h2v2(plane: Int32Array, w: number, h: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const line = new Uint8Array(2 * w);
  for (let y = 0; y < height; y++) {
    const near = (y >> 1) * w;
    const far = row(y & 1 ? (y >> 1) + 1 : (y >> 1) - 1, h) * w;
    const colsum = (x: number): number => plane[near + x]! * 3 + plane[far + x]!;
    let last = colsum(0);
    let current = last;
    line[0] = (current * 4 + 8) >> 4;
    for (let x = 0; x < w - 1; x++) {
      const next = colsum(x + 1);
      if (x > 0) line[2 * x] = (current * 3 + last + 8) >> 4;
      line[2 * x + 1] = (current * 3 + next + 7) >> 4;
      last = current;
      current = next;
    }
    line[2 * w - 2] = (current * 3 + last + 8) >> 4;
    line[2 * w - 1] = (current * 4 + 7) >> 4;
    out.set(line.subarray(0, width), y * width);
  }
  return out;
}
