/**
 * The raster cache: rasterising all of OpenMoji takes seconds, loading it back a fraction of
 * one. Per style, resolution (and subset, when only some emojis are asked for) the cache
 * folder holds two files:
 *
 *   openmoji-64px.bin    the RGB pixels, emoji after emoji (count * 64 * 64 * 3 bytes)
 *   openmoji-64px.json   the index: format version, OpenMoji version, resolution, hexcodes,
 *                        byte length and SHA-256 of the .bin; for another style (noto-64px.*)
 *                        also the style and its package's version
 *
 * Both are written atomically, the .bin first and the index last, so an index always describes
 * a whole .bin. On load, anything that does not match — another format or OpenMoji version,
 * other hexcodes, a truncated file, a changed byte — makes the cache a miss, and it is rebuilt.
 */

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "../atomic.js";
import { openMojiVersion } from "./metadata.js";
import { rasterizeStyle, type RasterizeOptions } from "./rasterize.js";
import { styleVersion, type EmojiStyle } from "./styles.js";

/** Bump when the layout of the .bin or the rasterisation changes. */
export const RASTER_CACHE_FORMAT = 1;

interface CacheIndex {
  format: number;
  openmoji: string;
  resolution: number;
  count: number;
  hexcodes: string[];
  bytes: number;
  sha256: string;
  /** Absent for OpenMoji's own drawings. */
  style?: EmojiStyle;
  style_version?: string;
}

export interface RasterCacheResult {
  readonly pixels: Uint8Array;
  /** "hit": loaded from the cache; "built": rasterised now (and cached). */
  readonly status: "hit" | "built";
  /** Why the cache was not used, when it was built. */
  readonly reason?: string;
  readonly binPath: string;
}

/** `.cache/openmoji` at the repository root (the folder with pnpm-workspace.yaml), else under the current folder. */
export function defaultCacheDir(start = process.cwd()): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return join(dir, ".cache", "openmoji");
    const parent = dirname(dir);
    if (parent === dir) return join(resolve(start), ".cache", "openmoji");
    dir = parent;
  }
}

/** The cache's file stem for a style, a resolution and a list of emojis. */
export function cacheStem(resolution: number, hexcodes: readonly string[], isFullSet: boolean, style: EmojiStyle = "openmoji"): string {
  const subset = isFullSet ? "" : `-subset-${sha256(hexcodes.join(",")).slice(0, 12)}`;
  return `${style}-${resolution}px${subset}`;
}

/** The pixels of `hexcodes` at `resolution`, from the cache when it is valid, else rasterised and cached. */
export async function loadOrRasterize(
  hexcodes: readonly string[],
  resolution: number,
  options: RasterizeOptions & { cacheDir: string; isFullSet: boolean; style?: EmojiStyle },
): Promise<RasterCacheResult> {
  const style = options.style ?? "openmoji";
  const stem = cacheStem(resolution, hexcodes, options.isFullSet, style);
  const binPath = join(options.cacheDir, `${stem}.bin`);
  const indexPath = join(options.cacheDir, `${stem}.json`);
  const version = openMojiVersion();
  const drawn = style === "openmoji" ? {} : { style, style_version: styleVersion(style) };
  const found = readCache(binPath, indexPath, hexcodes, resolution, version, drawn);
  if (found.pixels !== undefined) {
    options.onProgress?.(hexcodes.length, hexcodes.length);
    return { pixels: found.pixels, status: "hit", binPath };
  }
  const pixels = await rasterizeStyle(style, hexcodes, resolution, options);
  const index: CacheIndex = {
    format: RASTER_CACHE_FORMAT,
    openmoji: version,
    resolution,
    count: hexcodes.length,
    hexcodes: [...hexcodes],
    bytes: pixels.length,
    sha256: sha256(pixels),
    ...drawn,
  };
  writeFileAtomic(binPath, pixels);
  writeFileAtomic(indexPath, `${JSON.stringify(index)}\n`);
  return { pixels, status: "built", reason: found.reason, binPath };
}

function readCache(
  binPath: string,
  indexPath: string,
  hexcodes: readonly string[],
  resolution: number,
  version: string,
  drawn: { style?: EmojiStyle; style_version?: string },
): { pixels?: Uint8Array; reason: string } {
  if (!existsSync(indexPath)) return { reason: "no cache yet" };
  let index: CacheIndex;
  try {
    index = JSON.parse(readFileSync(indexPath, "utf8")) as CacheIndex;
  } catch {
    return { reason: "the index is not valid JSON" };
  }
  if (index === null || typeof index !== "object") return { reason: "the index is not an object" };
  if (index.format !== RASTER_CACHE_FORMAT) return { reason: `cache format ${index.format}, expected ${RASTER_CACHE_FORMAT}` };
  if (index.openmoji !== version) return { reason: `cached for OpenMoji ${index.openmoji}, installed ${version}` };
  if (index.style !== drawn.style || index.style_version !== drawn.style_version) {
    return { reason: `cached for ${index.style ?? "openmoji"} ${index.style_version ?? ""}, asked for ${drawn.style ?? "openmoji"} ${drawn.style_version ?? ""}` };
  }
  const expectedBytes = hexcodes.length * resolution * resolution * 3;
  if (index.resolution !== resolution || index.bytes !== expectedBytes) return { reason: "the index describes another resolution" };
  if (!Array.isArray(index.hexcodes) || index.hexcodes.length !== hexcodes.length || index.hexcodes.some((h, i) => h !== hexcodes[i])) {
    return { reason: "the index lists other emojis" };
  }
  let bin: Buffer;
  try {
    bin = readFileSync(binPath);
  } catch {
    return { reason: "the pixel file is missing" };
  }
  if (bin.length !== expectedBytes) return { reason: `the pixel file has ${bin.length} bytes, expected ${expectedBytes} (truncated?)` };
  if (sha256(bin) !== index.sha256) return { reason: "the pixel file's SHA-256 does not match the index (corrupt)" };
  return { pixels: new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength), reason: "" };
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
