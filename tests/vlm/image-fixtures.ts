/**
 * Reading the image fixtures made by tools/make_image_fixtures.py (Pillow, torchvision and
 * open_clip as oracles), and building PNG/JPEG byte streams by hand for the error tests.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { RgbImage } from "../../packages/vlm/src/image/index.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "images");

export interface ImageEntry {
  file: string;
  format: "png" | "jpeg";
  width: number;
  height: number;
  pillow_rgb_sha256?: string;
  pillow_rgb?: string;
  pillow_mode: string;
  progressive: boolean;
}

export interface Manifest {
  versions: Record<string, string>;
  images: Record<string, ImageEntry>;
  resize: { source: string; width: number; height: number; box: [number, number, number, number] | null; expected: string }[];
  centerCrop: { source: string; size: number | [number, number]; width: number; height: number; sha256: string }[];
  resizedCrop: { source: string; top: number; left: number; height: number; width: number; size: number | [number, number]; expected: string }[];
  shortSide: { width: number; height: number; size: number; out_width: number; out_height: number }[];
  preprocess: { source: string; size: number; cropped: string; tensor?: string }[];
  normalizeTable: string;
  notes: Record<string, string | number>;
}

export const manifest: Manifest = JSON.parse(readFileSync(join(FIXTURES, "manifest.json"), "utf8"));

/** A fixture file's bytes as a plain Uint8Array (a copy: a Buffer's slice() would share memory). */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

/** An `expected/*.rgb.gz`: gunzip, then undo the left-neighbour differences (PNG's Sub filter). */
export function readRgb(path: string, width: number, height: number): RgbImage {
  const data = new Uint8Array(gunzipSync(readFileSync(join(FIXTURES, path))));
  if (data.length !== width * height * 3) throw new Error(`${path}: ${data.length} bytes, expected ${width}x${height}x3`);
  for (let y = 0; y < height; y++) {
    for (let i = (y * width + 1) * 3; i < (y + 1) * width * 3; i++) data[i] = (data[i]! + data[i - 3]!) & 255;
  }
  return { width, height, data };
}

/** An `expected/*.f32.gz`: little-endian float32. */
export function readF32(path: string): Float32Array {
  const bytes = gunzipSync(readFileSync(join(FIXTURES, path)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The largest |a[i] - b[i]|, and where. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; at: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > max) [max, at] = [d, i];
  }
  return { max, at };
}

// ---------------------------------------------------------------- hand-made PNGs

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One chunk: length, type, payload, CRC of type + payload (correct unless `crc` is given). */
export function pngChunk(type: string, payload: Uint8Array, crc?: number): Uint8Array {
  const out = new Uint8Array(12 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(payload, 8);
  view.setUint32(8 + payload.length, crc ?? crc32(out.subarray(4, 8 + payload.length)));
  return out;
}

export function ihdr(width: number, height: number, bitDepth = 8, colorType = 2, interlace = 0): Uint8Array {
  const p = new Uint8Array(13);
  const view = new DataView(p.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  p.set([bitDepth, colorType, 0, 0, interlace], 8);
  return pngChunk("IHDR", p);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Walks a PNG's chunks: [offset, type, payload length]. */
export function pngChunks(bytes: Uint8Array): { offset: number; type: string; length: number }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { offset: number; type: string; length: number }[] = [];
  for (let pos = 8; pos + 12 <= bytes.length; ) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    out.push({ offset: pos, type, length });
    pos += 12 + length;
  }
  return out;
}

/** Recomputes every chunk's CRC, so a mutated PNG gets past the checksum into the decoder. */
export function fixPngCrcs(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  for (const { offset, length } of pngChunks(out)) {
    if (offset + 12 + length > out.length) break;
    view.setUint32(offset + 8 + length, crc32(out.subarray(offset + 4, offset + 8 + length)));
  }
  return out;
}

/** Offset of the first JPEG marker `marker` (e.g. 0xc0 for SOF0). */
export function findJpegMarker(bytes: Uint8Array, marker: number): number {
  for (let i = 2; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === marker) return i;
  throw new Error(`marker 0xff${marker.toString(16)} not found`);
}
