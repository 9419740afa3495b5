/** RGB images as PNG data: URIs, so report.html carries its pictures inside itself. */

import pngjs from "pngjs";
import type { RgbImage } from "../image/index.js";

export function pngBytes(image: RgbImage): Uint8Array {
  const png = new pngjs.PNG({ width: image.width, height: image.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return pngjs.PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

export function pngDataUri(image: RgbImage): string {
  return `data:image/png;base64,${Buffer.from(pngBytes(image)).toString("base64")}`;
}
