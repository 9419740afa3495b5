import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Generator, Tensor, zeros } from "../../packages/tensor/src/index.js";
import {
  centerCrop,
  CLIP_MEAN,
  CLIP_STD,
  crop,
  decodeImage,
  imageToTensor,
  ImageError,
  normalize,
  preprocess,
  pythonRound,
  randomResizedCrop,
  randomResizedCropParams,
  resizeAndCenterCrop,
  resizedCrop,
  resizeShortSide,
  shortSideSize,
  toTensor,
  type RgbImage,
} from "../../packages/vlm/src/image/index.js";
import { fixtureBytes, manifest, maxAbsDiff, readF32, readRgb, sha256 } from "./image-fixtures.js";

/** Pillow's decode of a fixture (see image-resize.test.ts). */
function pillowPixels(name: string): RgbImage {
  const entry = manifest.images[name]!;
  return entry.format === "png" ? decodeImage(fixtureBytes(name), name) : readRgb(entry.pillow_rgb!, entry.width, entry.height);
}

/** An image whose pixel (x, y) is (x, y, 7), to see where a crop came from. */
function coordinates(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x, y, 7], (y * width + x) * 3);
  return { width, height, data };
}

const pixel = (im: RgbImage, x: number, y: number): number[] => Array.from(im.data.subarray((y * im.width + x) * 3, (y * im.width + x) * 3 + 3));

describe("pythonRound is Python 3's round: half to even", () => {
  it.each([
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [3.5, 4],
    [-0.5, 0],
    [-1.5, -2],
    [-2.5, -2],
    [2.4999999, 2],
    [2.5000001, 3],
    [7, 7],
    [1e15 + 0.5, 1e15],
  ])("round(%s) = %s", (x, expected) => {
    expect(pythonRound(x) === expected).toBe(true);
  });
});

describe("Resize(size) output sizes equal torchvision's", () => {
  it.each(manifest.shortSide.map((c) => [`${c.width}x${c.height} -> short side ${c.size}`, c] as const))("%s", (_, c) => {
    expect(shortSideSize(c.width, c.height, c.size)).toEqual({ width: c.out_width, height: c.out_height });
  });

  it("resizeShortSide returns the image itself when nothing changes, as torchvision does", () => {
    const image = coordinates(8, 5);
    expect(resizeShortSide(image, 5)).toBe(image);
    expect(resizeShortSide(image, 10)).toMatchObject({ width: 16, height: 10 });
  });
});

describe("centerCrop equals torchvision's CenterCrop", () => {
  const chelsea = (): RgbImage => pillowPixels("chelsea.png");
  it.each(manifest.centerCrop.map((c) => [JSON.stringify(c.size), c] as const))("size %s", (_, c) => {
    const out = centerCrop(chelsea(), typeof c.size === "number" ? c.size : [c.size[0], c.size[1]]);
    expect([out.width, out.height]).toEqual([c.width, c.height]);
    expect(sha256(out.data)).toBe(c.sha256);
  });

  it("offsets round half to even: (5-2)/2 = 1.5 -> 2, (7-2)/2 = 2.5 -> 2, (9-2)/2 = 3.5 -> 4", () => {
    for (const [side, start] of [
      [5, 2],
      [7, 2],
      [9, 4],
      [6, 2],
      [3, 0],
    ] as const) {
      const out = centerCrop(coordinates(side, side), 2);
      expect(pixel(out, 0, 0), `side ${side}`).toEqual([start, start, 7]);
    }
    const wide = centerCrop(coordinates(10, 4), [3, 5]); // top (4-3)/2 = 0.5 -> 0, left (10-5)/2 = 2.5 -> 2
    expect(pixel(wide, 0, 0)).toEqual([2, 0, 7]);
  });

  it("pads with black when the crop is larger: the smaller half of the padding goes left/top", () => {
    const out = centerCrop(coordinates(3, 2), [5, 6]); // pad left 1, right 2, top 1, bottom 2
    expect([out.width, out.height]).toEqual([6, 5]);
    expect(pixel(out, 0, 0)).toEqual([0, 0, 0]);
    expect(pixel(out, 1, 1)).toEqual([0, 0, 7]);
    expect(pixel(out, 3, 2)).toEqual([2, 1, 7]);
    expect(pixel(out, 4, 2)).toEqual([0, 0, 0]);
  });

  it("crop fills outside the image with black, as PIL's crop", () => {
    const out = crop(coordinates(4, 4), -1, 2, 3, 3);
    expect(pixel(out, 0, 0)).toEqual([0, 0, 0]);
    expect(pixel(out, 0, 1)).toEqual([2, 0, 7]);
    expect(pixel(out, 2, 1)).toEqual([0, 0, 0]);
  });
});

describe("resizedCrop equals torchvision's F.resized_crop on PIL (crop, then bicubic)", () => {
  it.each(manifest.resizedCrop.map((c) => [`(${c.top}, ${c.left}, ${c.height}, ${c.width}) -> ${JSON.stringify(c.size)}`, c] as const))("%s", (_, c) => {
    const size: number | [number, number] = typeof c.size === "number" ? c.size : [c.size[0], c.size[1]];
    const out = resizedCrop(pillowPixels(c.source), c.top, c.left, c.height, c.width, size);
    const [h, w] = typeof size === "number" ? [size, size] : size;
    expect(maxAbsDiff(out.data, readRgb(c.expected, w, h).data).max).toBe(0);
  });
});

describe("preprocess equals open_clip's eval transform", () => {
  const table = readF32(manifest.normalizeTable); // [3, 256]: open_clip's value for each level

  it("ToTensor + Normalize give open_clip's float32 value for every level", () => {
    const levels: RgbImage = { width: 256, height: 1, data: new Uint8Array(256 * 3) };
    for (let v = 0; v < 256; v++) levels.data.set([v, v, v], v * 3);
    const ours = imageToTensor(levels).toFlatArray();
    expect(maxAbsDiff(ours, table).max).toBe(0);
    expect(normalize(toTensor(levels)).toFlatArray()).toEqual(ours);
  });

  it.each(manifest.preprocess.map((c) => [`${c.source} at ${c.size} px`, c] as const))("%s", (_, c) => {
    const source = pillowPixels(c.source);
    const cropped = resizeAndCenterCrop(source, c.size);
    const expectedCrop = readRgb(c.cropped, c.size, c.size);
    expect(maxAbsDiff(cropped.data, expectedCrop.data).max, "resized and cropped pixels").toBe(0);

    const tensor = preprocess(source, c.size);
    expect(tensor.shape).toEqual([3, c.size, c.size]);
    expect(tensor.dtype).toBe("float32");
    const plane = c.size * c.size;
    const expected = new Float32Array(3 * plane);
    for (let ch = 0; ch < 3; ch++) for (let i = 0; i < plane; i++) expected[ch * plane + i] = table[ch * 256 + expectedCrop.data[i * 3 + ch]!]!;
    if (c.tensor !== undefined) expect(readF32(c.tensor)).toEqual(expected); // the stored tensor is open_clip's own output
    const { max } = maxAbsDiff(tensor.toFlatArray(), expected);
    expect(max, `max |Duet - open_clip| = ${max}`).toBeLessThanOrEqual(1e-6);
    expect(max).toBe(0);
  });
});

describe("toTensor and normalize", () => {
  it("toTensor lays channels out as planes, values v / 255 in float32", () => {
    const t = toTensor({ width: 2, height: 1, data: Uint8Array.from([0, 51, 255, 255, 102, 0]) });
    expect(t.shape).toEqual([3, 1, 2]);
    expect(Array.from(t.toFlatArray())).toEqual([0, 1, 0.2, 0.4, 1, 0].map(Math.fround));
  });

  it("normalize handles a batch [N,3,H,W] and custom mean/std, and equals imageToTensor", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), (data) => {
        const image: RgbImage = { width: 2, height: 2, data };
        const one = imageToTensor(image, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 2] });
        const batch = normalize(toTensor(image).reshape([1, 3, 2, 2]), { mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 2] });
        expect(batch.shape).toEqual([1, 3, 2, 2]);
        expect(batch.toFlatArray()).toEqual(one.toFlatArray());
      }),
      { seed: 3, numRuns: 100 },
    );
    expect(CLIP_MEAN).toEqual([0.48145466, 0.4578275, 0.40821073]);
    expect(CLIP_STD).toEqual([0.26862954, 0.26130258, 0.27577711]);
  });

  it("errors", () => {
    expect(() => normalize(zeros([2, 4, 4]))).toThrow("normalize: expected a float32 tensor of shape [3,H,W] or [N,3,H,W], got float32 [2,4,4]");
    expect(() => normalize(zeros([3, 2, 2], { dtype: "int32" }))).toThrow("got int32 [3,2,2]");
    expect(() => normalize(zeros([3, 2, 2]), { std: [1, 0, 1] })).toThrow("std finite and non-zero");
    expect(() => normalize(zeros([3, 2, 2]), { mean: [1, 2] })).toThrow("mean and std need 3 values each, got 2 and 3");
    expect(() => toTensor({ width: 1, height: 1, data: new Uint8Array(2) })).toThrow("toTensor: a 1x1 RGB image needs 3 bytes, got 2");
    expect(() => preprocess(coordinates(4, 4), 0)).toThrow(ImageError);
    expect(() => preprocess(coordinates(4, 4), 0)).toThrow("preprocess: size must be positive integers, got 0x0");
    expect(new Tensor(new Float32Array(3), [3, 1, 1]).shape).toEqual([3, 1, 1]);
  });
});

describe("randomResizedCrop follows torchvision's sampling with a seeded Generator", () => {
  it("is deterministic for a seed", () => {
    const image = pillowPixels("astronaut-232.png");
    const a = randomResizedCrop(image, 32, { generator: new Generator(5) });
    const b = randomResizedCrop(image, 32, { generator: new Generator(5) });
    expect(a).toEqual(b);
    expect([a.width, a.height]).toEqual([32, 32]);
    const boxes = new Set(Array.from({ length: 20 }, (_, seed) => JSON.stringify(randomResizedCropParams(232, 232, { generator: new Generator(seed) }))));
    expect(boxes.size).toBeGreaterThan(10);
    // 3:2 is wider than 4/3 allows at >= 90% of the area: every draw fails, the fallback is fixed
    expect(randomResizedCropParams(150, 100, { generator: new Generator(1) })).toEqual({ top: 0, left: 8, height: 100, width: 133 });
    const g = new Generator(9);
    const sequence = [randomResizedCropParams(150, 100, { generator: g }), randomResizedCropParams(150, 100, { generator: g })];
    const g2 = new Generator(9);
    expect([randomResizedCropParams(150, 100, { generator: g2 }), randomResizedCropParams(150, 100, { generator: g2 })]).toEqual(sequence);
  });

  it("crops inside the image, with area and aspect in range (up to rounding)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 400 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (width, height, low, seed) => {
          const scale: [number, number] = [low, 1];
          const box = randomResizedCropParams(width, height, { scale, generator: new Generator(seed) });
          expect(box.width >= 1 && box.height >= 1 && box.top >= 0 && box.left >= 0).toBe(true);
          expect(box.top + box.height <= height && box.left + box.width <= width).toBe(true);
          if (box.width < width && box.height < height) {
            // Not the fallback (which keeps a full side). w = round(sqrt(A r)) and h = round(sqrt(A / r))
            // for a drawn area A in [low, 1] * width * height and ratio r in [3/4, 4/3], so
            // A = sqrt(A r) sqrt(A / r) lies in [(w - .5)(h - .5), (w + .5)(h + .5)], r in [(w - .5)/(h + .5), (w + .5)/(h - .5)].
            const [w, h] = [box.width, box.height];
            expect((w - 0.5) * (h - 0.5)).toBeLessThanOrEqual(width * height);
            expect((w + 0.5) * (h + 0.5)).toBeGreaterThanOrEqual(low * width * height);
            expect((w + 0.5) / (h - 0.5)).toBeGreaterThanOrEqual(3 / 4);
            expect((w - 0.5) / (h + 0.5)).toBeLessThanOrEqual(4 / 3);
          }
        },
      ),
      { seed: 21, numRuns: 500 },
    );
  });

  it("falls back to a centred crop clamped to the ratio range after 10 failed draws", () => {
    const impossible = { scale: [2, 3] as [number, number], generator: new Generator(1) }; // never fits
    expect(randomResizedCropParams(100, 10, impossible)).toEqual({ top: 0, left: 43, height: 10, width: 13 }); // 13 = round(10 * 4/3)
    expect(randomResizedCropParams(10, 100, impossible)).toEqual({ top: 43, left: 0, height: 13, width: 10 }); // 13 = round(10 / (3/4)), 43 = 87 // 2
    expect(randomResizedCropParams(50, 45, impossible)).toEqual({ top: 0, left: 0, height: 45, width: 50 });
  });

  it("defaults to open_clip's scale (0.9, 1.0): crops keep at least ~90% of the area", () => {
    for (let seed = 0; seed < 50; seed++) {
      const box = randomResizedCropParams(300, 300, { generator: new Generator(seed) });
      expect(box.width * box.height).toBeGreaterThanOrEqual(0.88 * 300 * 300);
    }
  });

  it("rejects bad options", () => {
    expect(() => randomResizedCropParams(10, 10, { scale: [0.9, 0.1] })).toThrow("randomResizedCrop: scale must be [low, high] with 0 < low <= high, got [0.9, 0.1]");
    expect(() => randomResizedCropParams(10, 10, { ratio: [0, 1] })).toThrow("ratio must be [low, high]");
    expect(() => randomResizedCropParams(0, 10)).toThrow("randomResizedCrop: image size must be positive integers, got 0x10");
    expect(() => randomResizedCrop(coordinates(4, 4), 0)).toThrow("resizedCrop: size must be positive integers, got 0x0");
  });
});
