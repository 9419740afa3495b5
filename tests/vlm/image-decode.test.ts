import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createImage, decodeImage, ImageError, readImage, rgbImage, sniffFormat } from "../../packages/vlm/src/image/index.js";
import {
  concatBytes,
  findJpegMarker,
  fixtureBytes,
  FIXTURES,
  ihdr,
  manifest,
  maxAbsDiff,
  PNG_SIGNATURE,
  pngChunk,
  pngChunks,
  readRgb,
  sha256,
} from "./image-fixtures.js";

/**
 * jpeg-js's inverse DCT rounds differently from libjpeg-turbo's (Pillow's), by at most 3
 * levels on every fixture (mean |difference| about 0.15 levels); grey and RGB JPEGs by 1.
 * Chroma upsampling and colour conversion are libjpeg's own, so these are the IDCT alone.
 */
const JPEG_TOLERANCE = 3;
const JPEG_MEAN_TOLERANCE = 0.25;

const entries = Object.values(manifest.images);

describe("decodeImage equals Pillow", () => {
  it.each(entries.filter((e) => e.format === "png").map((e) => [e.file, e] as const))("%s: exactly", (_, e) => {
    const image = decodeImage(fixtureBytes(e.file), e.file);
    expect([image.width, image.height]).toEqual([e.width, e.height]);
    expect(image.data.length).toBe(e.width * e.height * 3);
    expect(sha256(image.data), `${e.file} (Pillow mode ${e.pillow_mode}) differs from Pillow's RGB`).toBe(e.pillow_rgb_sha256);
  });

  it.each(entries.filter((e) => e.format === "jpeg").map((e) => [e.file, e] as const))(`%s: within ${JPEG_TOLERANCE} levels`, (_, e) => {
    const image = decodeImage(fixtureBytes(e.file), e.file);
    expect([image.width, image.height]).toEqual([e.width, e.height]);
    const pillow = readRgb(e.pillow_rgb!, e.width, e.height);
    const { max, at } = maxAbsDiff(image.data, pillow.data);
    let sum = 0;
    for (let i = 0; i < image.data.length; i++) sum += Math.abs(image.data[i]! - pillow.data[i]!);
    const mean = sum / image.data.length;
    const where = `pixel (${Math.floor(at / 3) % e.width}, ${Math.floor(at / 3 / e.width)}) channel ${at % 3}`;
    expect(max, `${e.file}: max |jpeg-js - Pillow| = ${max} at ${where}, mean ${mean.toFixed(3)}`).toBeLessThanOrEqual(JPEG_TOLERANCE);
    expect(mean, `${e.file}: mean |jpeg-js - Pillow|`).toBeLessThanOrEqual(JPEG_MEAN_TOLERANCE);
  });

  it("covers every PNG flavour and JPEG kind it claims to", () => {
    const modes = new Set(entries.map((e) => `${e.format}:${e.pillow_mode}`));
    for (const m of ["png:RGB", "png:RGBA", "png:L", "png:LA", "png:P", "png:1", "png:I;16", "jpeg:RGB", "jpeg:L"]) expect(modes).toContain(m);
    expect(entries.some((e) => e.progressive)).toBe(true);
  });
});

describe("format sniffing reads magic bytes, not names", () => {
  it("decodes a PNG named .jpg and a JPEG named .png", () => {
    const png = decodeImage(fixtureBytes("chelsea.png"), "really-a-png.jpg");
    expect(sha256(png.data)).toBe(manifest.images["chelsea.png"]!.pillow_rgb_sha256);
    const jpeg = decodeImage(fixtureBytes("camera-grey.jpg"), "really-a-jpeg.png");
    expect(jpeg.width).toBe(manifest.images["camera-grey.jpg"]!.width);
  });

  it("sniffFormat", () => {
    expect(sniffFormat(fixtureBytes("chelsea.png"))).toBe("png");
    expect(sniffFormat(fixtureBytes("chelsea-q90.jpg"))).toBe("jpeg");
    expect(sniffFormat(new TextEncoder().encode("GIF89a...."))).toBeNull();
    expect(sniffFormat(new Uint8Array(0))).toBeNull();
  });

  it("reads files from disk and names them in errors", () => {
    const image = readImage(join(FIXTURES, "logo-rgba.png"));
    expect(sha256(image.data)).toBe(manifest.images["logo-rgba.png"]!.pillow_rgb_sha256);
    const dir = mkdtempSync(join(tmpdir(), "duet-image-"));
    const notImage = join(dir, "notes.png");
    writeFileSync(notImage, "hello, world: plain text, not a picture");
    expect(() => readImage(notImage)).toThrow(`decodeImage: ${notImage}: not a PNG or JPEG file`);
    expect(() => readImage(join(dir, "missing.png"))).toThrow(/^readImage: .*missing\.png: cannot read the file: ENOENT/);
  });
});

/** The error `fn` throws, checked to be an ImageError naming `source`. */
function imageError(fn: () => unknown, source: string): ImageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    expect((e as ImageError).source).toBe(source);
    expect((e as Error).message).toContain(`${source}: `);
    return e as ImageError;
  }
  throw new Error("expected an ImageError, nothing was thrown");
}

const decodeError = (bytes: Uint8Array, name = "bad.img", maxPixels?: number): string =>
  imageError(() => decodeImage(bytes, name, maxPixels === undefined ? {} : { maxPixels }), name).message;

/** A valid 2x1 RGB PNG assembled by hand, and the parts to break it. */
const tinyIdat = pngChunk("IDAT", deflateSync(Uint8Array.from([0, 255, 0, 0, 0, 0, 255])));
const tinyPng = concatBytes(PNG_SIGNATURE, ihdr(2, 1), tinyIdat, pngChunk("IEND", new Uint8Array(0)));

describe("bad input gives a clear ImageError", () => {
  it("decodes the hand-made PNG the error cases start from", () => {
    expect(decodeImage(tinyPng)).toEqual({ width: 2, height: 1, data: Uint8Array.from([255, 0, 0, 0, 0, 255]) });
  });

  it("not an image", () => {
    expect(decodeError(new Uint8Array(0), "empty.png")).toBe("decodeImage: empty.png: the file is empty");
    expect(decodeError(new TextEncoder().encode("<!DOCTYPE html><html>"), "page.jpg")).toMatch(/page\.jpg: not a PNG or JPEG file \(it starts with bytes 3c 21 44/);
    expect(decodeError(new TextEncoder().encode("GIF89a\x01\x00\x01\x00"), "anim.gif")).toContain("GIF is not a supported format");
    expect(decodeError(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "))).toContain("WebP is not a supported format");
    expect(decodeError(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toContain("SVG/XML text");
  });

  it("rejects a non-Uint8Array and a bad maxPixels", () => {
    expect(() => decodeImage("png" as unknown as Uint8Array, "x")).toThrow("decodeImage: x: bytes must be a Uint8Array");
    expect(() => decodeImage(tinyPng, "x", { maxPixels: 0 })).toThrow("maxPixels must be a positive integer, got 0");
  });

  it("truncated PNG: at the signature, in a chunk, before IEND", () => {
    expect(decodeError(PNG_SIGNATURE.subarray(0, 5), "t.png")).toBe("decodeImage: t.png: truncated PNG: the file ends after 5 of the 8 signature bytes");
    expect(decodeError(tinyPng.subarray(0, 8))).toContain("truncated PNG: the file ends at byte 8 with no IEND chunk");
    expect(decodeError(tinyPng.subarray(0, 30))).toMatch(/truncated PNG: chunk IHDR at byte 8 needs 25 bytes but only 22 remain/);
    expect(decodeError(tinyPng.subarray(0, tinyPng.length - 12))).toContain("no IEND chunk");
    const photo = fixtureBytes("chelsea.png");
    expect(decodeError(photo.subarray(0, photo.length >> 1), "half.png")).toMatch(/^decodeImage: half\.png: truncated PNG: chunk IDAT at byte \d+ needs/);
  });

  it("corrupt PNG: header, CRC, chunk order, missing data", () => {
    const sig = PNG_SIGNATURE;
    const end = pngChunk("IEND", new Uint8Array(0));
    expect(decodeError(concatBytes(sig, tinyIdat, end))).toContain("the first chunk is IDAT, not IHDR");
    expect(decodeError(concatBytes(sig, pngChunk("IHDR", new Uint8Array(12)), tinyIdat, end))).toContain("IHDR has 12 bytes, expected 13");
    expect(decodeError(concatBytes(sig, ihdr(2, 1, 3, 2), tinyIdat, end))).toContain("bit depth 3 is not allowed for colour type 2 (allowed: 8, 16)");
    expect(decodeError(concatBytes(sig, ihdr(2, 1, 8, 5), tinyIdat, end))).toContain("unknown colour type 5");
    expect(decodeError(concatBytes(sig, ihdr(2, 1, 8, 2, 2), tinyIdat, end))).toContain("unknown compression/filter/interlace method 0/0/2");
    expect(decodeError(concatBytes(sig, ihdr(2, 1), end))).toContain("no IDAT chunk");
    const badCrc = concatBytes(sig, ihdr(2, 1), pngChunk("IDAT", deflateSync(Uint8Array.from([0, 1, 2, 3, 4, 5, 6])), 1234), end);
    expect(decodeError(badCrc)).toMatch(/corrupt PNG: chunk IDAT at byte 33 fails its CRC check \(stored 0x000004d2, computed 0x[0-9a-f]{8}\)/);
    const notDeflate = concatBytes(sig, ihdr(2, 1), pngChunk("IDAT", Uint8Array.from([1, 2, 3, 4, 5])), end);
    expect(decodeError(notDeflate)).toBe("decodeImage: bad.img: corrupt PNG: image data does not inflate (incorrect header check)");
    const tooShort = concatBytes(sig, ihdr(4, 4), pngChunk("IDAT", deflateSync(Uint8Array.from([0, 1, 2]))), end);
    expect(decodeError(tooShort)).toContain("truncated PNG: image data inflates to 3 of the 52 bytes its header implies");
    const cutStream = concatBytes(sig, ihdr(4, 4), pngChunk("IDAT", deflateSync(new Uint8Array(52).fill(9)).subarray(0, 8)), end);
    expect(decodeError(cutStream)).toContain("truncated PNG: the compressed image data ends early");
    const badFilter = concatBytes(sig, ihdr(2, 1), pngChunk("IDAT", deflateSync(Uint8Array.from([9, 1, 2, 3, 4, 5, 6]))), end);
    expect(decodeError(badFilter)).toContain("corrupt PNG: Unrecognised filter type - 9");
    expect(decodeError(concatBytes(sig, ihdr(2, 1), pngChunk("ID@T", new Uint8Array(1)), end))).toContain("invalid chunk type at byte 33");
    const palette = concatBytes(sig, ihdr(2, 1, 8, 3), pngChunk("PLTE", Uint8Array.from([1, 2, 3])), pngChunk("IDAT", deflateSync(Uint8Array.from([0, 0, 7]))), end);
    expect(decodeError(palette)).toContain("corrupt PNG: index 7 not in palette");
  });

  it("zero and absurd PNG sizes are refused before anything is allocated", () => {
    const end = pngChunk("IEND", new Uint8Array(0));
    expect(decodeError(concatBytes(PNG_SIGNATURE, ihdr(0, 5), tinyIdat, end))).toContain("PNG header declares an empty image (0x5)");
    expect(decodeError(concatBytes(PNG_SIGNATURE, ihdr(7, 0), tinyIdat, end))).toContain("(7x0)");
    expect(decodeError(concatBytes(PNG_SIGNATURE, ihdr(100_000, 100_000), tinyIdat, end), "huge.png")).toBe(
      "decodeImage: huge.png: PNG header declares 100000x100000 = 10000000000 pixels, more than the limit of 50000000 (raise maxPixels to allow it)",
    );
    expect(decodeError(concatBytes(PNG_SIGNATURE, ihdr(0x80000000, 1), tinyIdat, end))).toContain("at most 2^31-1 per side");
    expect(decodeError(tinyPng, "tiny.png", 1)).toContain("2x1 = 2 pixels, more than the limit of 1");
  });

  it("an interlaced PNG whose data inflates past its size is refused (a zip bomb)", () => {
    const bomb = concatBytes(PNG_SIGNATURE, ihdr(16, 16, 8, 2, 1), pngChunk("IDAT", deflateSync(new Uint8Array(10_000_000))), pngChunk("IEND", new Uint8Array(0)));
    expect(bomb.length).toBeLessThan(20_000);
    expect(decodeError(bomb)).toMatch(/image data inflates to more than the \d+ bytes its header implies/);
    const truncatedStream = concatBytes(PNG_SIGNATURE, ihdr(16, 16, 8, 2, 1), pngChunk("IDAT", deflateSync(new Uint8Array(900)).subarray(0, 6)), pngChunk("IEND", new Uint8Array(0)));
    expect(decodeError(truncatedStream)).toContain("truncated PNG: the compressed image data ends early");
  });

  it("a non-interlaced PNG whose data inflates past its size is refused too", () => {
    const bomb = concatBytes(PNG_SIGNATURE, ihdr(16, 16), pngChunk("IDAT", deflateSync(new Uint8Array(10_000_000))), pngChunk("IEND", new Uint8Array(0)));
    expect(decodeError(bomb)).toBe("decodeImage: bad.img: corrupt PNG: image data inflates to more than the 784 bytes its header implies");
  });

  it("truncated JPEG: in a segment, in the scan data, before EOI", () => {
    const jpeg = fixtureBytes("chelsea-q90.jpg");
    expect(decodeError(jpeg.subarray(0, 2), "a.jpg")).toContain("truncated JPEG: the file ends right after the start-of-image marker");
    expect(decodeError(jpeg.subarray(0, 10), "a.jpg")).toMatch(/^decodeImage: a\.jpg: truncated JPEG: the file ends inside the segment of marker 0xffe0 at byte 2/);
    expect(decodeError(jpeg.subarray(0, jpeg.length >> 1), "half.jpg")).toContain("truncated JPEG: the file ends inside the compressed data of scan 1");
    expect(decodeError(jpeg.subarray(0, jpeg.length - 2))).toContain("inside the compressed data of scan 1");
    const progressive = fixtureBytes("coffee-progressive.jpg");
    expect(decodeError(progressive.subarray(0, progressive.length - 300))).toMatch(/inside the compressed data of scan \d+/);
  });

  it("unsupported JPEG kinds: CMYK, 12-bit, arithmetic, lossless, DNL", () => {
    expect(decodeError(fixtureBytes("reject-cmyk.jpg"), "print.jpg")).toBe(
      "decodeImage: print.jpg: CMYK/YCCK JPEG (4 components) is not supported: convert it to RGB first",
    );
    const base = fixtureBytes("chelsea-q90.jpg");
    const sof = findJpegMarker(base, 0xc0);
    const patched = (at: number, value: number): Uint8Array => {
      const b = base.slice();
      b[at] = value;
      return b;
    };
    expect(decodeError(patched(sof + 4, 12))).toContain("12-bit JPEG is not supported (8-bit is)");
    expect(decodeError(patched(sof + 1, 0xc9))).toContain("arithmetic-coded sequential JPEG is not supported");
    expect(decodeError(patched(sof + 1, 0xc3))).toContain("lossless JPEG is not supported");
    const noHeight = patched(sof + 5, 0);
    noHeight[sof + 6] = 0;
    expect(decodeError(noHeight)).toContain("height deferred to a DNL marker");
    const noWidth = patched(sof + 7, 0);
    noWidth[sof + 8] = 0;
    expect(decodeError(noWidth)).toContain("JPEG header declares an empty image (0x100)");
    const twoComponents = patched(sof + 9, 2);
    expect(decodeError(twoComponents)).toContain("JPEG with 2 colour components is not supported (1, grey, or 3, colour, are)");
    expect(decodeError(patched(sof + 11, 0x50))).toContain("component 0 has sampling factors 5x0");
  });

  it("corrupt JPEG structure", () => {
    const base = fixtureBytes("chelsea-q90.jpg");
    const sos = findJpegMarker(base, 0xda);
    const sof = findJpegMarker(base, 0xc0);
    expect(decodeError(concatBytes(base.subarray(0, 2), Uint8Array.from([0xff, 0xd9])))).toContain("no frame header (SOF)");
    expect(decodeError(concatBytes(base.subarray(0, sos), Uint8Array.from([0xff, 0xd9])))).toContain("no scan (SOS)");
    const garbage = base.slice();
    garbage[sof] = 0x12;
    expect(decodeError(garbage)).toContain(`expected a marker at byte ${sof}, found 0x12`);
    const scanFirst = concatBytes(base.subarray(0, 2), base.subarray(sos));
    expect(decodeError(scanFirst)).toContain("a scan (SOS) before the frame header (SOF)");
    const badLength = base.slice();
    badLength[sof + 2] = 0;
    badLength[sof + 3] = 1;
    expect(decodeError(badLength)).toContain("declares segment length 1");
    expect(decodeError(concatBytes(base.subarray(0, sos), base.subarray(sof, sos), base.subarray(sos)))).toContain("more than one frame header");
  });

  it("pixel limit for JPEG", () => {
    expect(decodeError(fixtureBytes("chelsea-q90.jpg"), "c.jpg", 14_999)).toContain("JPEG header declares 150x100 = 15000 pixels, more than the limit of 14999");
    expect(decodeImage(fixtureBytes("chelsea-q90.jpg"), "c.jpg", { maxPixels: 15_000 }).width).toBe(150);
  });

  it("image constructors check sizes", () => {
    expect(createImage(2, 3)).toEqual({ width: 2, height: 3, data: new Uint8Array(18) });
    expect(() => createImage(0, 3)).toThrow("createImage: size must be positive integers, got 0x3");
    expect(rgbImage(1, 1, Uint8Array.from([1, 2, 3])).data).toEqual(Uint8Array.from([1, 2, 3]));
    expect(() => rgbImage(2, 1, new Uint8Array(3))).toThrow("rgbImage: 2x1 RGB needs 6 bytes, got 3");
  });

  it("the fixtures' chunk walker agrees with the file layout", () => {
    expect(pngChunks(tinyPng).map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
  });
});
