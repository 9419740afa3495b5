import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bicubicKernel, decodeImage, ImageError, precomputeCoefficients, resize, type RgbImage } from "../../packages/vlm/src/image/index.js";
import { fixtureBytes, manifest, maxAbsDiff, readRgb } from "./image-fixtures.js";

/**
 * The input each fixture was resized from: Pillow's own decode. For PNGs that is our decode
 * (equal to Pillow's, checked in image-decode.test.ts); for JPEGs it is the stored Pillow
 * pixels, so jpeg-js's IDCT rounding cannot hide or cause a resize difference.
 */
function pillowPixels(name: string): RgbImage {
  const entry = manifest.images[name]!;
  return entry.format === "png" ? decodeImage(fixtureBytes(name), name) : readRgb(entry.pillow_rgb!, entry.width, entry.height);
}

const randomImage = (maxSide: number): fc.Arbitrary<RgbImage> =>
  fc
    .record({ width: fc.integer({ min: 1, max: maxSide }), height: fc.integer({ min: 1, max: maxSide }) })
    .chain(({ width, height }) => fc.uint8Array({ minLength: width * height * 3, maxLength: width * height * 3 }).map((data) => ({ width, height, data })));

describe("resize equals Pillow's Image.resize(size, BICUBIC) bit for bit", () => {
  it.each(manifest.resize.map((c) => [`${c.source} -> ${c.width}x${c.height}${c.box ? ` box [${c.box.join(", ")}]` : ""}`, c] as const))("%s", (_, c) => {
    const source = pillowPixels(c.source);
    const out = resize(source, c.width, c.height, c.box ? { box: c.box } : {});
    const expected = readRgb(c.expected, c.width, c.height);
    expect([out.width, out.height]).toEqual([c.width, c.height]);
    const { max, at } = maxAbsDiff(out.data, expected.data);
    expect(max, `max |Duet - Pillow| = ${max} at pixel ${Math.floor(at / 3)} channel ${at % 3}`).toBe(0);
  });
});

describe("resize: laws", () => {
  const options = { seed: 7, numRuns: 300 };

  it("a constant image stays constant at any size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }), fc.constantFrom(0, 1, 77, 254, 255), (w, h, ow, oh, v) => {
        const out = resize({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(v) }, ow, oh);
        expect(out.data.every((x) => x === v)).toBe(true);
      }),
      options,
    );
  });

  it("resizing to the same size copies (a new buffer, equal bytes)", () => {
    fc.assert(
      fc.property(randomImage(12), (image) => {
        const out = resize(image, image.width, image.height);
        expect(out.data).toEqual(image.data);
        expect(out.data).not.toBe(image.data);
      }),
      options,
    );
  });

  it("an integer box of the output's size is a crop", () => {
    fc.assert(
      fc.property(randomImage(12), fc.nat(), fc.nat(), (image, a, b) => {
        const left = a % image.width;
        const top = b % image.height;
        const w = image.width - left;
        const h = image.height - top;
        const out = resize(image, w, h, { box: [left, top, left + w, top + h] });
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            for (let c = 0; c < 3; c++) expect(out.data[(y * w + x) * 3 + c]).toBe(image.data[((y + top) * image.width + x + left) * 3 + c]);
          }
        }
      }),
      options,
    );
  });

  it("never writes into its input, and transposing commutes with resizing", () => {
    const transpose = (im: RgbImage): RgbImage => {
      const data = new Uint8Array(im.data.length);
      for (let y = 0; y < im.height; y++) for (let x = 0; x < im.width; x++) for (let c = 0; c < 3; c++) data[(x * im.height + y) * 3 + c] = im.data[(y * im.width + x) * 3 + c]!;
      return { width: im.height, height: im.width, data };
    };
    fc.assert(
      fc.property(randomImage(16), fc.integer({ min: 1, max: 24 }), (image, side) => {
        const before = image.data.slice();
        // square output: both passes use the same coefficients, but the horizontal pass is
        // clipped to uint8 first, so transposition commutes only when one pass is skipped
        const out = resize(image, image.width, side);
        expect(image.data).toEqual(before);
        expect(transpose(resize(transpose(image), side, image.width))).toEqual(out);
      }),
      options,
    );
  });
});

describe("the bicubic kernel and its coefficients", () => {
  it("is Keys' cubic with a = -0.5: 1 at 0, 0 at the other integers, 0 from 2 on", () => {
    expect(bicubicKernel(0)).toBe(1);
    for (const x of [1, -1, 2, -2, 2.5, 100]) expect(Math.abs(bicubicKernel(x))).toBe(0); // -0 at ±2
    expect(bicubicKernel(0.5)).toBeCloseTo(0.5625, 15);
    expect(bicubicKernel(1.5)).toBeCloseTo(-0.0625, 15);
    expect(bicubicKernel(-0.3)).toBe(bicubicKernel(0.3));
  });

  it("fixed-point weights of each output pixel add up to 1.0 (2^22) within rounding", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), (inSize, outSize) => {
        const c = precomputeCoefficients(inSize, 0, inSize, outSize);
        for (let i = 0; i < outSize; i++) {
          let sum = 0;
          for (let k = 0; k < c.count[i]!; k++) sum += c.weights[i * c.ksize + k]!;
          expect(Math.abs(sum - 2 ** 22)).toBeLessThanOrEqual(c.count[i]!);
          expect(c.start[i]! >= 0 && c.start[i]! + c.count[i]! <= inSize).toBe(true);
          expect(c.count[i]!).toBeLessThanOrEqual(c.ksize);
        }
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it("widens the support by the downscale factor (antialiasing)", () => {
    expect(precomputeCoefficients(100, 0, 100, 100).ksize).toBe(5); // 2 * ceil(2) + 1
    expect(precomputeCoefficients(100, 0, 100, 25).ksize).toBe(17); // 2 * ceil(2 * 4) + 1
    expect(precomputeCoefficients(10, 0, 10, 100).ksize).toBe(5); // upscaling keeps support 2
  });
});

describe("resize: errors", () => {
  const image: RgbImage = { width: 4, height: 3, data: new Uint8Array(36) };
  it.each([
    ["resize: output size must be positive integers, got 0x3", () => resize(image, 0, 3)],
    ["resize: output size must be positive integers, got 2.5x3", () => resize(image, 2.5, 3)],
    ["resize: a 4x3 RGB image needs 36 bytes, got 35", () => resize({ width: 4, height: 3, data: new Uint8Array(35) }, 2, 2)],
    ["resize: image size must be positive integers, got 0x3", () => resize({ width: 0, height: 3, data: new Uint8Array(0) }, 2, 2)],
    ["resize: image must be { width, height, data: Uint8Array }", () => resize(null as unknown as RgbImage, 2, 2)],
    ["resize: box offset can't be negative, got [-1, 0, 2, 2]", () => resize(image, 2, 2, { box: [-1, 0, 2, 2] })],
    ["resize: box [0, 0, 5, 2] exceeds the 4x3 image", () => resize(image, 2, 2, { box: [0, 0, 5, 2] })],
    ["resize: box [2, 0, 2, 2] is empty", () => resize(image, 2, 2, { box: [2, 0, 2, 2] })],
    ["resize: box must be 4 finite numbers", () => resize(image, 2, 2, { box: [0, 0, Number.NaN, 2] })],
  ] as const)("%s", (message, fn) => {
    expect(fn).toThrow(ImageError);
    expect(fn).toThrow(message);
  });
});
