/**
 * JPEG decoding with jpeg-js (pure JS). The marker walk in jpeg-markers.ts vets the file
 * first; jpeg-js then decodes baseline and progressive, grey and YCbCr JPEGs to RGB.
 *
 * How close to Pillow (libjpeg-turbo): jpeg-js decodes the component samples; chroma
 * upsampling and YCbCr to RGB are then redone as libjpeg does them (jpeg-color.ts). What is
 * left is jpeg-js's inverse DCT, which rounds a little differently from libjpeg's: decoded
 * values match Pillow's to within a few levels (the fixture tests state the measured bounds).
 * Everything after decoding is bit-exact.
 *
 * CMYK and YCCK JPEGs (4 components, from print workflows) are refused: their conversion to
 * RGB has no single right answer without a colour profile.
 */

import jpeg from "jpeg-js";
import { ImageError, type RgbImage } from "./image.js";
import { ycbcrToRgb } from "./jpeg-color.js";
import { scanJpeg, type JpegFrame } from "./jpeg-markers.js";

const OP = "decodeImage";

/** jpeg-js's own memory guard, a backstop behind the pixel limit checked before decoding. */
const JPEG_JS_MAX_MEMORY_MB = 4096;

export function decodeJpeg(bytes: Uint8Array, source: string, maxPixels: number): RgbImage {
  const frame = scanJpeg(bytes, source, maxPixels);
  const components = frame.componentIds.length;
  if (components === 4) {
    throw new ImageError(OP, "CMYK/YCCK JPEG (4 components) is not supported: convert it to RGB first", source);
  }
  if (components !== 1 && components !== 3) {
    throw new ImageError(OP, `JPEG with ${components} colour components is not supported (1, grey, or 3, colour, are)`, source);
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      colorTransform: false, // colour is converted below, as libjpeg does
      tolerantDecoding: true,
      maxResolutionInMP: Math.ceil(maxPixels / 1e6) + 1,
      maxMemoryUsageInMB: JPEG_JS_MAX_MEMORY_MB,
    });
  } catch (e) {
    throw new ImageError(OP, `corrupt JPEG: ${(e as Error).message}`, source);
  }
  const { width, height, data } = decoded;
  if (width !== frame.width || height !== frame.height || data.length !== width * height * 3) {
    throw new ImageError(OP, `corrupt JPEG: decoded ${width}x${height} (${data.length} bytes), the header declares ${frame.width}x${frame.height}`, source);
  }
  return { width, height, data: components === 3 && isYCbCr(frame) ? ycbcrToRgb(data, width, height, frame.sampling) : data };
}

/**
 * Whether 3 components are YCbCr (to convert) or RGB (as stored), decided as libjpeg does:
 * an Adobe marker's transform flag wins; else a JFIF marker means YCbCr; else component
 * ids 'R', 'G', 'B' mean RGB; else YCbCr.
 */
function isYCbCr(frame: JpegFrame): boolean {
  if (frame.adobeTransform !== null) return frame.adobeTransform !== 0;
  if (frame.jfif) return true;
  const [a, b, c] = frame.componentIds;
  return !(a === 0x52 && b === 0x47 && c === 0x42);
}
