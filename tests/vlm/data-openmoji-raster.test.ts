/**
 * Rasterising OpenMoji with resvg and caching the result: a handful of emojis (a subset keeps
 * this fast), the cache's round trip, and a rebuild after every kind of damage.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  cacheStem,
  collateOpenMoji,
  DataError,
  DataLoader,
  defaultCacheDir,
  loadOpenMoji,
  rasterizeOpenMoji,
  rasterizeSvg,
} from "../../packages/vlm/src/data/index.js";
import { tempFolder } from "./data-helpers.js";

// A face, a skin-tone variant, a flag, an OpenMoji extra and a symbol.
const HANDFUL = ["1F600", "1F44B-1F3FB", "1F1E9-1F1EA", "E000", "2764"];

function pixel(pixels: Uint8Array, size: number, image: number, x: number, y: number): number[] {
  const at = image * size * size * 3 + (y * size + x) * 3;
  return [pixels[at]!, pixels[at + 1]!, pixels[at + 2]!];
}

describe("rasterising", () => {
  it("gives size x size RGB on white: white corners, not all white", async () => {
    const size = 32;
    const pixels = await rasterizeOpenMoji(HANDFUL, size);
    expect(pixels.length).toBe(HANDFUL.length * size * size * 3);
    HANDFUL.forEach((hexcode, i) => {
      for (const [x, y] of [[0, 0], [size - 1, 0], [0, size - 1], [size - 1, size - 1]] as const) {
        expect(pixel(pixels, size, i, x, y), `${hexcode} corner (${x}, ${y})`).toEqual([255, 255, 255]);
      }
      const image = pixels.subarray(i * size * size * 3, (i + 1) * size * size * 3);
      expect(image.some((v) => v < 200), `${hexcode} is not blank`).toBe(true);
    });
    // The grinning face is yellow (#FCEA2B) at its cheek.
    const [r, g, b] = pixel(pixels, size, 0, 9, 16);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeGreaterThan(180);
    expect(b).toBeLessThan(100);
  });

  it("fits a wide SVG into the square, centred on white", async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 10"><rect width="20" height="10" fill="#ff0000"/></svg>';
    const rgb = await rasterizeSvg(svg, 8);
    const row = (y: number) => Array.from({ length: 8 }, (_, x) => rgb[(y * 8 + x) * 3 + 1]);
    expect([0, 1, 6, 7].map(row)).toEqual(Array(4).fill(Array(8).fill(255))); // white bands above and below
    expect([2, 3, 4, 5].map(row)).toEqual(Array(4).fill(Array(8).fill(0))); // red: no green
  });

  it("errors: not an SVG, an unknown emoji, a bad size", async () => {
    await expect(rasterizeSvg("definitely not svg", 8, "bad.svg")).rejects.toThrow(/rasterizeSvg: bad\.svg: cannot render the SVG/);
    await expect(rasterizeOpenMoji(["NOPE"], 8)).rejects.toThrow(/no colour SVG for emoji NOPE/);
    await expect(rasterizeSvg("<svg/>", 0)).rejects.toThrow(/size must be a positive integer/);
  });
});

describe("the raster cache", () => {
  const cache = tempFolder("openmoji-cache");

  it("builds, then loads what it built; reports progress", async () => {
    const progress: [number, number][] = [];
    const built = await loadOpenMoji({ hexcodes: HANDFUL, resolution: 16, cacheDir: cache.dir, onProgress: (done, total) => progress.push([done, total]) });
    expect(built.cache.status).toBe("built");
    expect(built.cache.reason).toBe("no cache yet");
    expect(progress.at(-1)).toEqual([HANDFUL.length, HANDFUL.length]);
    expect(progress.length).toBe(HANDFUL.length);
    const loaded = await loadOpenMoji({ hexcodes: HANDFUL, resolution: 16, cacheDir: cache.dir });
    expect(loaded.cache.status).toBe("hit");
    expect(loaded.pixels).toEqual(built.pixels);
    expect(loaded.items.map((item) => item.hexcode)).toEqual(HANDFUL);
    const index = JSON.parse(readFileSync(join(cache.dir, `${cacheStem(16, HANDFUL, false)}.json`), "utf8"));
    expect(index).toMatchObject({ format: 1, openmoji: "17.0.0", resolution: 16, count: 5, hexcodes: HANDFUL, bytes: 5 * 16 * 16 * 3 });
  });

  const damages: [name: string, damage: (bin: string, index: string) => void, reason: RegExp][] = [
    ["a flipped byte", (bin) => {
      const bytes = readFileSync(bin);
      bytes[100] ^= 0xff;
      writeFileSync(bin, bytes);
    }, /SHA-256 does not match/],
    ["a truncated pixel file", (bin) => writeFileSync(bin, readFileSync(bin).subarray(0, 1000)), /has 1000 bytes, expected 3840 \(truncated\?\)/],
    ["a garbled index", (_bin, index) => writeFileSync(index, "{ not json"), /the index is not valid JSON/],
    ["another OpenMoji version", (_bin, index) => writeFileSync(index, readFileSync(index, "utf8").replace('"17.0.0"', '"16.0.0"')), /cached for OpenMoji 16\.0\.0, installed 17\.0\.0/],
    ["another format", (_bin, index) => writeFileSync(index, readFileSync(index, "utf8").replace('"format":1', '"format":0')), /cache format 0, expected 1/],
  ];
  for (const [name, damage, reason] of damages) {
    it(`rebuilds after ${name}`, async () => {
      const options = { hexcodes: HANDFUL, resolution: 16, cacheDir: cache.dir };
      const good = await loadOpenMoji(options);
      const stem = join(cache.dir, cacheStem(16, HANDFUL, false));
      damage(`${stem}.bin`, `${stem}.json`);
      const rebuilt = await loadOpenMoji(options);
      expect(rebuilt.cache.status).toBe("built");
      expect(rebuilt.cache.reason).toMatch(reason);
      expect(rebuilt.pixels).toEqual(good.pixels);
      expect((await loadOpenMoji(options)).cache.status).toBe("hit");
    });
  }

  it("keys the cache by resolution and by subset; limit takes the first emojis", async () => {
    expect(cacheStem(64, ["1F600"], true)).toBe("openmoji-64px");
    expect(cacheStem(64, ["1F600"], false)).toMatch(/^openmoji-64px-subset-[0-9a-f]{12}$/);
    expect(cacheStem(64, ["1F600"], false)).not.toBe(cacheStem(64, ["1F603"], false));
    const first = await loadOpenMoji({ limit: 2, resolution: 8, cacheDir: cache.dir });
    expect(first.items.map((item) => item.hexcode)).toEqual(["1F600", "1F603"]);
    expect(first.cache.binPath).toMatch(/openmoji-8px-subset-[0-9a-f]{12}\.bin$/);
  });

  it("errors: unknown hexcode, bad resolution or limit", async () => {
    await expect(loadOpenMoji({ hexcodes: ["1F600", "XYZ"], cacheDir: cache.dir })).rejects.toThrow(DataError);
    await expect(loadOpenMoji({ hexcodes: ["XYZ"], cacheDir: cache.dir })).rejects.toThrow(/no emoji with hexcode "XYZ" in OpenMoji/);
    await expect(loadOpenMoji({ resolution: 0, cacheDir: cache.dir })).rejects.toThrow(/resolution must be an integer in \[1, 1024\]/);
    await expect(loadOpenMoji({ limit: 0, cacheDir: cache.dir })).rejects.toThrow(/limit must be a positive integer/);
  });

  it("defaults to .cache/openmoji at the repository root", () => {
    const here = dirname(fileURLToPath(import.meta.url));
    expect(defaultCacheDir(here)).toBe(join(here, "..", "..", ".cache", "openmoji"));
  });
});

describe("the OpenMoji dataset through the loader", () => {
  const cache = tempFolder("openmoji-loader");

  it("gives images with sampled captions, collated into a [B, 3, H, W] batch", async () => {
    const openMoji = await loadOpenMoji({ hexcodes: HANDFUL, resolution: 16, cacheDir: cache.dir });
    const dataset = openMoji.captionDataset("all");
    expect(dataset.length).toBe(HANDFUL.length);
    const loader = new DataLoader(dataset, { batchSize: 5, seed: 1, collate: (samples) => collateOpenMoji(samples) });
    const { data } = await loader.next();
    expect(data.images.shape).toEqual([5, 3, 16, 16]);
    expect(new Set(data.hexcodes)).toEqual(new Set(HANDFUL));
    data.hexcodes.forEach((hexcode, i) => {
      const item = openMoji.items.find((it) => it.hexcode === hexcode)!;
      expect(data.captions[i]).toContain(item.annotation);
    });
    expect(openMoji.image(0).data).toEqual(openMoji.pixels.subarray(0, 16 * 16 * 3));
    expect(openMoji.imageTensor(0).shape).toEqual([3, 16, 16]);
    const perSplit = (["train", "val", "test"] as const).map((name) => openMoji.captionDataset(name).length);
    expect(perSplit.reduce((a, b) => a + b)).toBe(HANDFUL.length);
  });
});
