/**
 * From bytes to an RGB image: the format is sniffed from the magic bytes (never from the
 * file name), the header's declared size is checked against `maxPixels` before anything
 * large is allocated, and any failure is an `ImageError` naming the file and the problem.
 */

import { readFileSync } from "node:fs";
import { DEFAULT_MAX_PIXELS, ImageError, type RgbImage } from "./image.js";
import { decodeJpeg } from "./jpeg.js";
import { decodePng } from "./png.js";
import { describeUnsupported, sniffFormat } from "./sniff.js";

export interface DecodeOptions {
  /** Refuse images with more pixels than this (default 50 million). */
  maxPixels?: number;
}

/** Decodes a PNG or JPEG held in memory. `source` names it in error messages. */
export function decodeImage(bytes: Uint8Array, source = "<bytes>", options: DecodeOptions = {}): RgbImage {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(bytes instanceof Uint8Array)) throw new ImageError("decodeImage", "bytes must be a Uint8Array (a Buffer is one)", source);
  if (!(Number.isInteger(maxPixels) && maxPixels > 0)) throw new ImageError("decodeImage", `maxPixels must be a positive integer, got ${maxPixels}`, source);
  const format = sniffFormat(bytes);
  if (format === "png") return decodePng(bytes, source, maxPixels);
  if (format === "jpeg") return decodeJpeg(bytes, source, maxPixels);
  throw new ImageError("decodeImage", describeUnsupported(bytes), source);
}

/** Reads and decodes an image file. */
export function readImage(path: string, options: DecodeOptions = {}): RgbImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ImageError("readImage", `cannot read the file: ${(e as Error).message}`, path);
  }
  return decodeImage(bytes, path, options);
}
