/**
 * Fuzzing the decoders: whatever the bytes, decodeImage returns a well-formed image or
 * throws an ImageError — never another kind of error, never a hang, never an allocation
 * the pixel limit did not allow. Fixed seeds, so a failure reproduces.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeImage, ImageError, type RgbImage } from "../../packages/vlm/src/image/index.js";
import { fixPngCrcs, fixtureBytes } from "./image-fixtures.js";

const RUNS = 1000;
const SEED = 20240607;
/** Small, so a mutated header cannot make the fuzzer decode megapixels. */
const MAX_PIXELS = 100_000;
/** Generous: every decode here takes milliseconds; a hang would take forever. */
const SLOWEST_DECODE_MS = 2000;

const PNGS = ["camera-1bit.png", "logo-palette-trns.png", "camera-4bit-grey.png", "camera-grey-alpha.png", "astronaut-interlaced.png", "astronaut-16bit.png"];
const JPEGS = ["coffee-440.jpg", "camera-grey.jpg", "coffee-progressive.jpg", "coffee-restarts.jpg", "chelsea-rgb.jpg", "coffee-420-odd.jpg"];
const files = new Map([...PNGS, ...JPEGS].map((name) => [name, fixtureBytes(name)]));

let slowest = 0;

/** Decodes; returns the image or the ImageError; fails the property on anything else. */
function decodeOrImageError(bytes: Uint8Array): RgbImage | ImageError {
  const start = performance.now();
  try {
    const image = decodeImage(bytes, "fuzz.bin", { maxPixels: MAX_PIXELS });
    if (!(Number.isInteger(image.width) && Number.isInteger(image.height) && image.width > 0 && image.height > 0)) {
      throw new Error(`bad size ${image.width}x${image.height}`);
    }
    if (image.width * image.height > MAX_PIXELS) throw new Error(`${image.width}x${image.height} passes the pixel limit`);
    if (!(image.data instanceof Uint8Array) || image.data.length !== image.width * image.height * 3) {
      throw new Error(`data length ${image.data.length} for ${image.width}x${image.height}`);
    }
    return image;
  } catch (e) {
    if (!(e instanceof ImageError)) throw new Error(`not an ImageError: ${(e as Error)?.stack ?? String(e)}`);
    expect(e.message.startsWith("decodeImage: fuzz.bin: ")).toBe(true);
    return e;
  } finally {
    slowest = Math.max(slowest, performance.now() - start);
  }
}

const options = { seed: SEED, numRuns: RUNS };

/** `count` random byte overwrites of `bytes`. */
const mutationsArb = (length: number): fc.Arbitrary<[number, number][]> =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });

function mutate(bytes: Uint8Array, mutations: [number, number][]): Uint8Array {
  const out = bytes.slice();
  for (const [at, value] of mutations) out[at] = value;
  return out;
}

const fileArb = (names: string[]): fc.Arbitrary<Uint8Array> => fc.constantFrom(...names).map((name) => files.get(name)!);

describe("decoder fuzzing", () => {
  it("random bytes, bare or behind a PNG or JPEG signature", () => {
    const prefix = fc.constantFrom(new Uint8Array(0), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Uint8Array.from([0xff, 0xd8, 0xff]));
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 600 }), (head, tail) => {
        const bytes = new Uint8Array(head.length + tail.length);
        bytes.set(head);
        bytes.set(tail, head.length);
        expect(decodeOrImageError(bytes)).toBeInstanceOf(ImageError); // random bytes are never an image
      }),
      options,
    );
  });

  it("every truncation of a valid file is refused as an ImageError", () => {
    const arb = fileArb([...PNGS, ...JPEGS]).chain((bytes) => fc.tuple(fc.constant(bytes), fc.integer({ min: 0, max: bytes.length - 1 })));
    fc.assert(
      fc.property(arb, ([bytes, length]) => {
        const result = decodeOrImageError(bytes.subarray(0, length));
        expect(result, `a ${length}-byte prefix of a ${bytes.length}-byte file decoded`).toBeInstanceOf(ImageError);
      }),
      options,
    );
  });

  it("mutated PNGs (CRCs left as they are, so most stop at the checksum)", () => {
    const arb = fileArb(PNGS).chain((bytes) => fc.tuple(fc.constant(bytes), mutationsArb(bytes.length)));
    fc.assert(fc.property(arb, ([bytes, mutations]) => void decodeOrImageError(mutate(bytes, mutations))), options);
  });

  it("mutated PNGs with CRCs recomputed, so the damage reaches inflate, unfilter and unpack", () => {
    const arb = fileArb(PNGS).chain((bytes) => fc.tuple(fc.constant(bytes), mutationsArb(bytes.length)));
    fc.assert(fc.property(arb, ([bytes, mutations]) => void decodeOrImageError(fixPngCrcs(mutate(bytes, mutations)))), options);
  });

  it("mutated JPEGs (no checksums: the damage reaches the entropy decoder)", () => {
    const arb = fileArb(JPEGS).chain((bytes) => fc.tuple(fc.constant(bytes), mutationsArb(bytes.length)));
    fc.assert(fc.property(arb, ([bytes, mutations]) => void decodeOrImageError(mutate(bytes, mutations))), options);
  });

  it("mutated JPEG headers (the first 700 bytes: tables, frame and scan headers)", () => {
    const arb = fileArb(JPEGS).chain((bytes) => fc.tuple(fc.constant(bytes), mutationsArb(Math.min(700, bytes.length))));
    fc.assert(fc.property(arb, ([bytes, mutations]) => void decodeOrImageError(mutate(bytes, mutations))), options);
  });

  it(`no decode took longer than ${SLOWEST_DECODE_MS} ms`, () => {
    expect(slowest).toBeLessThan(SLOWEST_DECODE_MS);
  });
});
