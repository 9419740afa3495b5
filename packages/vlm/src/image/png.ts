/**
 * PNG decoding: pngjs does the unfiltering, unpacking and de-interlacing. This file first
 * checks what pngjs takes on trust — the chunk structure and CRCs, the declared size (a
 * header claiming a gigapixel image is refused before anything is allocated), and that the
 * image data inflates to exactly the bytes the header implies — so a bad file gets a message
 * that says what is wrong. Then it turns every PNG flavour into 8-bit RGB:
 *
 *   grey 1/2/4 bit   v * 255 / (2^depth - 1)        (Pillow's "L;1", "L;2", "L;4" unpackers)
 *   16-bit samples   the high byte, v >> 8           (Pillow's "RGB;16B", "RGBA;16B", "LA;16B")
 *   alpha, tRNS      composited over white            (alpha.ts)
 *
 * One departure from Pillow: a 16-bit grey PNG opens in Pillow as mode "I;16", whose
 * conversion to RGB saturates every value above 255 (nearly the whole image turns white);
 * here it takes the high byte like every other 16-bit PNG.
 */

import { inflateSync } from "node:zlib";
import pngjs from "pngjs";
import { compositeOverWhite } from "./alpha.js";
import { checkDeclaredSize, ImageError, type RgbImage } from "./image.js";

const OP = "decodeImage";

/** What the IHDR chunk says. */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ALLOWED_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

export function decodePng(bytes: Uint8Array, source: string, maxPixels: number): RgbImage {
  const { header, imageData } = scanPng(bytes, source, maxPixels);
  checkImageData(imageData, imageDataBytes(header), source);

  let decoded: { data: ArrayLike<number> };
  try {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    decoded = pngjs.PNG.sync.read(buffer, { skipRescale: true, checkCRC: false }); // checked in scanPng
  } catch (e) {
    throw new ImageError(OP, `corrupt PNG: ${(e as Error).message}`, source);
  }
  const pixels = header.width * header.height;
  if (decoded.data.length !== pixels * 4) {
    throw new ImageError(OP, `corrupt PNG: decoded ${decoded.data.length} samples, expected ${pixels * 4}`, source);
  }
  return { width: header.width, height: header.height, data: compositeOverWhite(toRgba8(decoded.data, header), pixels) };
}

/** pngjs's RGBA output (samples not rescaled) as 8-bit RGBA. */
function toRgba8(samples: ArrayLike<number>, header: PngHeader): Uint8Array {
  if (header.bitDepth === 8 || header.colorType === 3) {
    return samples instanceof Uint8Array ? samples : Uint8Array.from(samples);
  }
  const out = new Uint8Array(samples.length);
  if (header.bitDepth === 16) {
    for (let i = 0; i < samples.length; i++) out[i] = samples[i]! >> 8;
  } else {
    const scale = 255 / (2 ** header.bitDepth - 1); // 255, 85 or 17: exact
    for (let i = 0; i < samples.length; i++) out[i] = samples[i]! * scale;
  }
  return out;
}

/**
 * Walks the chunks: signature, IHDR first and well-formed, every chunk inside the file and
 * matching its CRC (as Pillow checks), an IEND at the end. Returns the header and the
 * concatenated IDAT payload.
 */
export function scanPng(bytes: Uint8Array, source: string, maxPixels: number): { header: PngHeader; imageData: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: PngHeader | null = null;
  const idat: Uint8Array[] = [];
  let pos = 8; // after the signature (checked by sniffFormat)
  for (;;) {
    if (pos + 8 > bytes.length) {
      throw new ImageError(OP, `truncated PNG: the file ends at byte ${bytes.length} with no IEND chunk`, source);
    }
    const length = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!, bytes[pos + 6]!, bytes[pos + 7]!);
    if (!/^[A-Za-z]{4}$/.test(type)) {
      throw new ImageError(OP, `corrupt PNG: invalid chunk type at byte ${pos}`, source);
    }
    if (length > 0x7fffffff) throw new ImageError(OP, `corrupt PNG: chunk ${type} at byte ${pos} declares length ${length}`, source);
    const end = pos + 12 + length;
    if (end > bytes.length) {
      throw new ImageError(OP, `truncated PNG: chunk ${type} at byte ${pos} needs ${length + 12} bytes but only ${bytes.length - pos} remain`, source);
    }
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    const stored = view.getUint32(pos + 8 + length);
    const computed = crc32(bytes.subarray(pos + 4, pos + 8 + length));
    if (stored !== computed) {
      throw new ImageError(OP, `corrupt PNG: chunk ${type} at byte ${pos} fails its CRC check (stored ${hex32(stored)}, computed ${hex32(computed)})`, source);
    }
    if (header === null) {
      if (type !== "IHDR") throw new ImageError(OP, `corrupt PNG: the first chunk is ${type}, not IHDR`, source);
      header = parseHeader(data, source, maxPixels);
    } else if (type === "IDAT") {
      idat.push(data);
    } else if (type === "IEND") {
      break;
    }
    pos = end;
  }
  if (idat.length === 0) throw new ImageError(OP, "corrupt PNG: no IDAT chunk (no image data)", source);
  return { header, imageData: concat(idat) };
}

function parseHeader(data: Uint8Array, source: string, maxPixels: number): PngHeader {
  if (data.length !== 13) throw new ImageError(OP, `corrupt PNG: IHDR has ${data.length} bytes, expected 13`, source);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [bitDepth, colorType, compression, filter, interlace] = [data[8]!, data[9]!, data[10]!, data[11]!, data[12]!];
  if (width > 0x7fffffff || height > 0x7fffffff) {
    throw new ImageError(OP, `corrupt PNG: IHDR declares ${width}x${height} (at most 2^31-1 per side)`, source);
  }
  checkDeclaredSize(OP, source, "PNG", width, height, maxPixels);
  const depths = ALLOWED_DEPTHS[colorType];
  if (depths === undefined) throw new ImageError(OP, `corrupt PNG: unknown colour type ${colorType}`, source);
  if (!depths.includes(bitDepth)) {
    throw new ImageError(OP, `corrupt PNG: bit depth ${bitDepth} is not allowed for colour type ${colorType} (allowed: ${depths.join(", ")})`, source);
  }
  if (compression !== 0 || filter !== 0 || interlace > 1) {
    throw new ImageError(OP, `corrupt PNG: unknown compression/filter/interlace method ${compression}/${filter}/${interlace}`, source);
  }
  return { width, height, bitDepth, colorType, interlaced: interlace === 1 };
}

/**
 * The bytes the image data must inflate to: per row, 1 filter byte and the packed samples;
 * interlaced images are 7 such sub-images (the Adam7 passes).
 */
function imageDataBytes(h: PngHeader): number {
  const passes = h.interlaced
    ? ([
        [0, 0, 8, 8],
        [4, 0, 8, 8],
        [0, 4, 4, 8],
        [2, 0, 4, 4],
        [0, 2, 2, 4],
        [1, 0, 2, 2],
        [0, 1, 1, 2],
      ] as const)
    : ([[0, 0, 1, 1]] as const);
  const bitsPerPixel = CHANNELS[h.colorType]! * h.bitDepth;
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil(Math.max(0, h.width - x0) / dx);
    const rows = Math.ceil(Math.max(0, h.height - y0) / dy);
    if (w > 0 && rows > 0) total += rows * (1 + Math.ceil((w * bitsPerPixel) / 8));
  }
  return total;
}

/**
 * Inflates the image data once with a cap, before pngjs does: a few kilobytes of deflate
 * can expand to gigabytes, and pngjs's own inflate lets a corrupt or cut-off stream through
 * as an image of zeros.
 */
function checkImageData(compressed: Uint8Array, expected: number, source: string): void {
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(compressed, { maxOutputLength: expected });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ERR_BUFFER_TOO_LARGE" || err instanceof RangeError) {
      throw new ImageError(OP, `corrupt PNG: image data inflates to more than the ${expected} bytes its header implies`, source);
    }
    if (err.code === "Z_BUF_ERROR") throw new ImageError(OP, "truncated PNG: the compressed image data ends early", source);
    throw new ImageError(OP, `corrupt PNG: image data does not inflate (${err.message})`, source);
  }
  if (inflated.length < expected) {
    throw new ImageError(OP, `truncated PNG: image data inflates to ${inflated.length} of the ${expected} bytes its header implies`, source);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG uses) of `bytes`. */
function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const hex32 = (x: number): string => `0x${x.toString(16).padStart(8, "0")}`;
