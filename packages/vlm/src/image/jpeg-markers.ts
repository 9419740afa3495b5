/**
 * A walk over a JPEG's markers, before any decoding: is the file whole (every segment
 * inside it, every scan's entropy-coded data followed by a marker, an end-of-image marker
 * at the end), and what does its frame header declare (size, components, precision, the
 * coding process)? It allocates nothing in proportion to the declared size, so a
 * bad or hostile file is refused with a precise reason before the decoder runs.
 */

import { checkDeclaredSize, ImageError } from "./image.js";
import type { Sampling } from "./jpeg-color.js";

const OP = "decodeImage";

export interface JpegFrame {
  width: number;
  height: number;
  precision: number;
  componentIds: number[];
  /** Each component's sampling factors (horizontal, vertical), 1 to 4. */
  sampling: Sampling[];
  progressive: boolean;
  /** The Adobe APP14 colour transform flag (0: none, RGB/CMYK; 1: YCbCr; 2: YCCK), if present. */
  adobeTransform: number | null;
  jfif: boolean;
}

/** SOF markers this pipeline decodes (via jpeg-js): baseline, extended sequential, progressive. */
const SUPPORTED_SOF: Record<number, string> = { 0xc0: "baseline", 0xc1: "extended sequential", 0xc2: "progressive" };
const UNSUPPORTED_SOF: Record<number, string> = {
  0xc3: "lossless",
  0xc5: "differential sequential",
  0xc6: "differential progressive",
  0xc7: "differential lossless",
  0xc9: "arithmetic-coded sequential",
  0xca: "arithmetic-coded progressive",
  0xcb: "arithmetic-coded lossless",
  0xcd: "arithmetic-coded differential sequential",
  0xce: "arithmetic-coded differential progressive",
  0xcf: "arithmetic-coded differential lossless",
};

export function scanJpeg(bytes: Uint8Array, source: string, maxPixels: number): JpegFrame {
  const truncated = (where: string): ImageError => new ImageError(OP, `truncated JPEG: the file ends ${where} (${bytes.length} bytes, no end-of-image marker)`, source);
  const corrupt = (detail: string): ImageError => new ImageError(OP, `corrupt JPEG: ${detail}`, source);
  let frame: Omit<JpegFrame, "adobeTransform" | "jfif"> | null = null;
  let adobeTransform: number | null = null;
  let jfif = false;
  let scans = 0;
  let pos = 2; // after SOI (checked by sniffFormat)
  for (;;) {
    if (pos >= bytes.length) throw truncated(scans > 0 ? "after the last scan" : "before any image data");
    if (bytes[pos] !== 0xff) throw corrupt(`expected a marker at byte ${pos}, found 0x${bytes[pos]!.toString(16)}`);
    while (pos < bytes.length && bytes[pos] === 0xff) pos++; // a marker may be preceded by fill bytes
    if (pos >= bytes.length) throw truncated("inside a marker");
    const marker = bytes[pos]!;
    const markerAt = pos - 1;
    pos++;
    if (marker === 0xd9) break; // EOI
    if (marker === 0xd8) throw corrupt(`a second start-of-image marker at byte ${markerAt}`);
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // markers without a segment
    if (marker === 0x00) throw corrupt(`stray 0xFF00 at byte ${markerAt}`);
    if (pos + 2 > bytes.length) throw truncated(`inside the length of marker 0x${hex(marker)} at byte ${markerAt}`);
    const length = (bytes[pos]! << 8) | bytes[pos + 1]!;
    if (length < 2) throw corrupt(`marker 0x${hex(marker)} at byte ${markerAt} declares segment length ${length}`);
    if (pos + length > bytes.length) throw truncated(`inside the segment of marker 0x${hex(marker)} at byte ${markerAt}`);
    const segment = bytes.subarray(pos + 2, pos + length);
    pos += length;

    if (marker in UNSUPPORTED_SOF) {
      throw new ImageError(OP, `${UNSUPPORTED_SOF[marker]} JPEG is not supported (baseline and progressive are)`, source);
    } else if (marker in SUPPORTED_SOF) {
      if (frame !== null) throw corrupt("more than one frame header (SOF)");
      frame = parseFrame(segment, marker === 0xc2, source, maxPixels, corrupt);
    } else if (marker === 0xe0 && ascii(segment, 5) === "JFIF\0") {
      jfif = true;
    } else if (marker === 0xee && ascii(segment, 6) === "Adobe\0" && segment.length >= 12) {
      adobeTransform = segment[11]!;
    } else if (marker === 0xda) {
      if (frame === null) throw corrupt("a scan (SOS) before the frame header (SOF)");
      scans++;
      pos = skipEntropyCodedData(bytes, pos);
      if (pos >= bytes.length) throw truncated(`inside the compressed data of scan ${scans}`);
    }
  }
  if (frame === null) throw corrupt("no frame header (SOF): the file holds no image");
  if (scans === 0) throw corrupt("no scan (SOS): the file holds no image data");
  return { ...frame, adobeTransform, jfif };
}

function parseFrame(
  segment: Uint8Array,
  progressive: boolean,
  source: string,
  maxPixels: number,
  corrupt: (detail: string) => ImageError,
): Omit<JpegFrame, "adobeTransform" | "jfif"> {
  if (segment.length < 6) throw corrupt(`frame header has ${segment.length} bytes, expected at least 6`);
  const precision = segment[0]!;
  const height = (segment[1]! << 8) | segment[2]!;
  const width = (segment[3]! << 8) | segment[4]!;
  const count = segment[5]!;
  if (segment.length < 6 + 3 * count) throw corrupt(`frame header lists ${count} components but has room for ${Math.floor((segment.length - 6) / 3)}`);
  if (height === 0) {
    throw new ImageError(OP, "JPEG with the height deferred to a DNL marker (height 0 in the frame header) is not supported", source);
  }
  checkDeclaredSize(OP, source, "JPEG", width, height, maxPixels);
  if (precision !== 8) throw new ImageError(OP, `${precision}-bit JPEG is not supported (8-bit is)`, source);
  const componentIds: number[] = [];
  const sampling: Sampling[] = [];
  for (let i = 0; i < count; i++) {
    const factors = segment[7 + 3 * i]!;
    const h = factors >> 4;
    const v = factors & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) throw corrupt(`component ${i} has sampling factors ${h}x${v} (each must be 1 to 4)`);
    componentIds.push(segment[6 + 3 * i]!);
    sampling.push({ h, v });
  }
  return { width, height, precision, componentIds, sampling, progressive };
}

/**
 * From the first byte after a SOS header to the next marker that is not part of the
 * entropy-coded data: 0xFF00 is a stuffed 0xFF byte and RST0..RST7 restart the coder.
 */
function skipEntropyCodedData(bytes: Uint8Array, pos: number): number {
  const n = bytes.length;
  while (pos < n) {
    if (bytes[pos] !== 0xff) {
      pos++;
      continue;
    }
    if (pos + 1 >= n) return n;
    const next = bytes[pos + 1]!;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) pos += 2;
    else if (next === 0xff) pos++;
    else return pos;
  }
  return n;
}

function ascii(bytes: Uint8Array, length: number): string {
  return String.fromCharCode(...bytes.subarray(0, length));
}

function hex(marker: number): string {
  return `ff${marker.toString(16).padStart(2, "0")}`;
}
