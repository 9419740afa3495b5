/**
 * Augmentations for drawings (image/augment.ts): each keeps the size and the value range, is
 * a pure function of its Generator, and does what it says — the affine is exact for the
 * identity and for quarter turns, the background recolouring leaves white inside a drawing.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Generator } from "../../packages/tensor/src/index.js";
import { affine, augmentDrawing, createImage, randomAffine, recolourBackground, type RgbImage } from "../../packages/vlm/src/image/index.js";

/** A random image, white around a coloured square with a white hole in it (an "eye"). */
function drawing(size: number, seed: number): RgbImage {
  const g = new Generator(seed);
  const image = createImage(size, size);
  image.data.fill(255);
  const a = Math.floor(size / 4);
  const b = size - a;
  for (let y = a; y < b; y++) for (let x = a; x < b; x++) for (let c = 0; c < 3; c++) image.data[(y * size + x) * 3 + c] = g.nextInt(200);
  const mid = Math.floor(size / 2);
  for (let c = 0; c < 3; c++) image.data[(mid * size + mid) * 3 + c] = 255;
  return image;
}

const pixel = (image: RgbImage, x: number, y: number) => Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));

describe("augmentations keep the size and range, and are seeded", () => {
  it("augmentDrawing: any options, any seed", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 40 }),
        fc.integer({ min: 4, max: 32 }),
        fc.double({ min: 0.2, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 45, noNaN: true }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 1000 }),
        (source, size, low, degrees, translate, background, seed) => {
          const options = { scale: [low, 1] as const, degrees, translate, background };
          const image = drawing(source, seed);
          const out = augmentDrawing(image, size, options, new Generator(seed));
          expect([out.width, out.height]).toEqual([size, size]);
          expect(out.data.length).toBe(size * size * 3);
          expect(out.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
          const again = augmentDrawing(image, size, options, new Generator(seed));
          expect(Buffer.compare(Buffer.from(out.data), Buffer.from(again.data))).toBe(0);
        },
      ),
      { seed: 11, numRuns: 60 },
    );
  });
});

describe("affine", () => {
  it("is the identity at angle 0, no shift", () => {
    const image = drawing(13, 3);
    expect(Array.from(affine(image, 0, 0, 0).data)).toEqual(Array.from(image.data));
  });

  it("a quarter turn moves pixels exactly; a whole-pixel shift too, filling what comes in", () => {
    const image = drawing(9, 4);
    const turned = affine(image, Math.PI / 2, 0, 0);
    // output (x, y) samples input R(-90°)(p - c) + c: (x, y) -> (y, 8 - x)
    for (let y = 0; y < 9; y++) for (let x = 0; x < 9; x++) expect(pixel(turned, x, y)).toEqual(pixel(image, y, 8 - x));
    const shifted = affine(image, 0, 2, 0, [1, 2, 3]);
    for (let y = 0; y < 9; y++) {
      expect(pixel(shifted, 0, y)).toEqual([1, 2, 3]);
      for (let x = 2; x < 9; x++) expect(pixel(shifted, x, y)).toEqual(pixel(image, x - 2, y));
    }
  });

  it("randomAffine draws within its bounds: 0 degrees and 0 shift change nothing", () => {
    const image = drawing(12, 5);
    expect(Array.from(randomAffine(image, { degrees: 0, translate: 0, generator: new Generator(1) }).data)).toEqual(Array.from(image.data));
    expect(() => randomAffine(image, { degrees: 200 })).toThrow(/degrees must be in \[0, 180\], got 200/);
  });
});

describe("recolourBackground", () => {
  it("paints the white reachable from the border, not the white inside the drawing", () => {
    const image = drawing(12, 6);
    const out = recolourBackground(image, [200, 220, 240]);
    expect(pixel(out, 0, 0)).toEqual([200, 220, 240]);
    expect(pixel(out, 11, 5)).toEqual([200, 220, 240]);
    expect(pixel(out, 6, 6), "the white hole inside the square").toEqual([255, 255, 255]);
    expect(pixel(out, 4, 4)).toEqual(pixel(image, 4, 4));
  });
});
