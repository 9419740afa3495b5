/// <reference lib="dom" />
/**
 * Image files to RGB in a browser (page or worker): the platform decodes (createImageBitmap),
 * an OffscreenCanvas hands back the pixels, and from there Duet's own pipeline takes over —
 * transparency over white by the same integer formula as Node (image/alpha.ts), then
 * preprocess (Pillow's bicubic resize, centre crop, CLIP's normalisation).
 *
 * How close to Node's decoders: an opaque PNG gives the very same bytes (PNG is lossless and
 * colour management is off), so its embedding equals `duet embed`'s. A JPEG may differ by a
 * level here and there (the browser's libjpeg-turbo against jpeg-js), and a half-transparent
 * pixel by one (a canvas stores colour premultiplied by alpha).
 */

import { compositeOverWhite } from "../image/alpha.js";
import { DEFAULT_MAX_PIXELS, ImageError, rgbImage, type RgbImage } from "../image/image.js";

export async function decodeImageBlob(blob: Blob, source = "image", maxPixels = DEFAULT_MAX_PIXELS): Promise<RgbImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { premultiplyAlpha: "none", colorSpaceConversion: "none" });
  } catch (error) {
    throw new ImageError("decodeImage", `the browser cannot decode it (${(error as Error).message}); use a PNG or JPEG`, source);
  }
  try {
    const { width, height } = bitmap;
    if (width * height > maxPixels) throw new ImageError("decodeImage", `${width}x${height} is more than ${maxPixels} pixels`, source);
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    if (context === null) throw new ImageError("decodeImage", "no 2d canvas in this browser", source);
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, width, height, { colorSpace: "srgb" }).data;
    return rgbImage(width, height, compositeOverWhite(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), width * height));
  } finally {
    bitmap.close();
  }
}

/** Fetches and decodes an image URL. */
export async function fetchImage(url: string): Promise<RgbImage> {
  const response = await fetch(url);
  if (!response.ok) throw new ImageError("fetchImage", `HTTP ${response.status}`, url);
  return decodeImageBlob(await response.blob(), url);
}
