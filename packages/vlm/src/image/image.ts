/**
 * The decoded image every stage of the pipeline passes along: 8-bit RGB, row-major,
 * channels interleaved (`data[(y * width + x) * 3 + c]`), the layout Pillow's "RGB" mode
 * exposes through `numpy.asarray(image)`. Images are values: no function here writes into
 * the image it is given.
 */

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** width * height * 3 bytes: R, G, B of (0,0), then (1,0), ... */
  readonly data: Uint8Array;
}

/**
 * The default ceiling on decoded pixels. A PNG or JPEG header may claim 65535 x 65535 in a
 * few bytes; checking the claim before allocating keeps a hostile file from taking the
 * process's memory. 50 megapixels is a 8660 x 5773 photo: larger than any camera image a
 * CLIP pipeline needs, and about 150 MB as RGB.
 */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/**
 * Errors of the image pipeline. The message names the operation, the file (when there is
 * one) and the problem: `decodeImage: cat.png: truncated PNG: ...`.
 */
export class ImageError extends Error {
  constructor(
    readonly op: string,
    detail: string,
    readonly source?: string,
  ) {
    super(`${op}: ${source === undefined ? "" : `${source}: `}${detail}`);
    this.name = "ImageError";
  }
}

/** A black image (all zeros) of the given size. */
export function createImage(width: number, height: number): RgbImage {
  checkSize("createImage", width, height);
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/** Wraps RGB bytes as an image after checking that the length matches the size. */
export function rgbImage(width: number, height: number, data: Uint8Array): RgbImage {
  checkSize("rgbImage", width, height);
  if (data.length !== width * height * 3) {
    throw new ImageError("rgbImage", `${width}x${height} RGB needs ${width * height * 3} bytes, got ${data.length}`);
  }
  return { width, height, data };
}

/** Throws unless width and height are positive integers. */
export function checkSize(op: string, width: number, height: number, what = "size"): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageError(op, `${what} must be positive integers, got ${width}x${height}`);
  }
}

/** Throws unless `image` has a valid size and exactly width * height * 3 bytes. */
export function checkImage(op: string, image: RgbImage): void {
  if (image === null || typeof image !== "object" || !(image.data instanceof Uint8Array)) {
    throw new ImageError(op, "image must be { width, height, data: Uint8Array }");
  }
  checkSize(op, image.width, image.height, "image size");
  if (image.data.length !== image.width * image.height * 3) {
    throw new ImageError(op, `a ${image.width}x${image.height} RGB image needs ${image.width * image.height * 3} bytes, got ${image.data.length}`);
  }
}

/**
 * The check a decoder makes on the size a file's header declares, before it allocates:
 * zero or non-integer sizes are corrupt, and more than `maxPixels` pixels is refused.
 */
export function checkDeclaredSize(op: string, source: string, format: string, width: number, height: number, maxPixels: number): void {
  if (width === 0 || height === 0) {
    throw new ImageError(op, `${format} header declares an empty image (${width}x${height})`, source);
  }
  if (width * height > maxPixels) {
    throw new ImageError(
      op,
      `${format} header declares ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels} (raise maxPixels to allow it)`,
      source,
    );
  }
}
