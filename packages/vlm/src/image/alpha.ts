/**
 * Transparency becomes white. A transparent PNG (alpha channel, or a palette or colour key
 * with a tRNS chunk) is laid over a white background, as DESIGN §5 asks, so a logo on a
 * transparent canvas looks to the model as it looks on a web page. (open_clip's
 * `convert("RGB")` would instead drop alpha and show whatever colour hides under it.)
 *
 *   out = round(c * a / 255 + 255 * (1 - a / 255))   per channel, exact integer rounding
 *       = floor((c * a + 255 * (255 - a) + 127) / 255)
 *
 * (The numerator over 255 is never exactly half-way, since 255 is odd, so "+127 then floor"
 * is round-to-nearest.) Opaque pixels (a = 255) come out unchanged.
 */

/** RGBA bytes (4 per pixel) to RGB bytes (3 per pixel), composited over white. */
export function compositeOverWhite(rgba: Uint8Array, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0, j = 0; i < pixels; i++, j += 3) {
    const a = rgba[i * 4 + 3]!;
    const r = rgba[i * 4]!;
    const g = rgba[i * 4 + 1]!;
    const b = rgba[i * 4 + 2]!;
    if (a === 255) {
      rgb[j] = r;
      rgb[j + 1] = g;
      rgb[j + 2] = b;
    } else {
      const background = 255 * (255 - a) + 127;
      rgb[j] = Math.floor((r * a + background) / 255);
      rgb[j + 1] = Math.floor((g * a + background) / 255);
      rgb[j + 2] = Math.floor((b * a + background) / 255);
    }
  }
  return rgb;
}
