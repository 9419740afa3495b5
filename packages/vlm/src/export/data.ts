/**
 * `duet export-data`: the pairs `duet train --data D` trains on, as open_clip_train reads them.
 *
 *   --format csv   DIR/images/000000.png ...     one PNG per distinct image, RGB, as Duet decodes it
 *                  DIR/pairs.tsv                 columns filepath, title; tab-separated, which is
 *                                                open_clip_train's --csv-separator default; paths
 *                                                relative to DIR (Duet's manifest rule: run
 *                                                open_clip_train from DIR, or resolve them there)
 *   --format wds   DIR/000000.tar ...            webdataset shards of --shard-size samples, each
 *                                                sample KEY.png + KEY.txt (./tar-shards.ts), in a
 *                                                seeded random order so every shard is a fair draw
 *                  DIR/sizes.json                {"000000.tar": n, ...}: open_clip_train counts the
 *                                                samples from it (no --train-num-samples needed)
 *   both           DIR/duet_export.json          what was exported: source, split, counts, seed
 *
 * What is exported is what training reads:
 *   OpenMoji    the split's emojis (openmoji = openmoji:train, as `duet train`), rasterised at
 *               --image-size; Duet draws a fresh caption each time it draws an emoji, so each emoji
 *               gets --captions-per-image captions drawn by the same captioner (annotation and
 *               tags, never the group or subgroup names zero-shot keeps unseen), seeded
 *   a manifest  its pairs as `duet train` reads them: every row, in order (the trainer filters no
 *               caption, so neither does this); images decoded as Duet decodes them (alpha
 *               composited on white, grey and palette to RGB) and saved as RGB PNG, so open_clip's
 *               convert("RGB") sees the same pixels
 */

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { readCaptions, type CaptionManifestOptions } from "../data/captions.js";
import { loadOpenMoji, type OpenMoji } from "../data/openmoji/dataset.js";
import type { SplitName } from "../data/openmoji/split.js";
import { generatorAt, permutation } from "../data/seeds.js";
import { readImage } from "../image/decode.js";
import type { RgbImage } from "../image/image.js";
import { writeFileDurable } from "../model/atomic-folder.js";
import { ModelError } from "../model/errors.js";
import { pngBytes } from "../report/png.js";
import { checkOutFolder, writeNewFolder } from "./out-folder.js";
import { writeTarShard, type ShardSample } from "./tar-shards.js";

export type ExportDataSource =
  | { kind: "openmoji"; split: SplitName | "all"; imageSize: number; cacheDir?: string; hexcodes?: readonly string[] }
  | ({ kind: "captions"; manifest: string } & CaptionManifestOptions);

export interface ExportDataOptions {
  format: "csv" | "wds";
  /** OpenMoji: captions drawn per emoji (default 1). */
  captionsPerImage?: number;
  /** Seeds the OpenMoji captions and the shards' order (default 0). */
  seed?: number;
  /** Samples per webdataset shard (default 1000). */
  shardSize?: number;
}

export interface ExportDataResult {
  outDir: string;
  format: "csv" | "wds";
  description: string;
  samples: number;
  images: number;
  files: string[];
  seconds: number;
}

/** One training pair: which image, which caption. */
interface Pair {
  readonly image: number;
  readonly caption: string;
}

interface Pairs {
  readonly description: string;
  readonly imageCount: number;
  image(index: number): RgbImage;
  readonly pairs: readonly Pair[];
}

const OP = "export-data";
export const PAIRS_FILE = "pairs.tsv";
export const SIZES_FILE = "sizes.json";
export const EXPORT_INFO_FILE = "duet_export.json";

function openMojiPairs(openMoji: OpenMoji, split: SplitName | "all", captionsPerImage: number, seed: number): Pairs {
  const dataset = openMoji.captionDataset(split);
  const indices = split === "all" ? openMoji.items.map((_, i) => i) : openMoji.indicesOf(split);
  const pairs: Pair[] = [];
  for (let k = 0; k < dataset.length; k++) {
    for (let draw = 0; draw < captionsPerImage; draw++) {
      const sample = dataset.get(k, { generator: generatorAt(seed, draw, k), epoch: draw, position: k }) as { caption: string };
      pairs.push({ image: k, caption: sample.caption });
    }
  }
  return {
    description: `OpenMoji ${split} (${dataset.length} emojis at ${openMoji.resolution}px, ${captionsPerImage} caption${captionsPerImage === 1 ? "" : "s"} each)`,
    imageCount: dataset.length,
    image: (k) => openMoji.image(indices[k]!),
    pairs,
  };
}

function manifestPairs(source: Extract<ExportDataSource, { kind: "captions" }>): Pairs {
  const { kind: _kind, manifest, ...options } = source;
  const records = readCaptions(manifest, options).records;
  if (records.length === 0) throw new ModelError(OP, `the manifest holds no pairs`, manifest);
  const paths: string[] = [];
  const indexOf = new Map<string, number>();
  const pairs = records.map((record) => {
    let image = indexOf.get(record.image);
    if (image === undefined) {
      image = paths.length;
      paths.push(record.image);
      indexOf.set(record.image, image);
    }
    return { image, caption: record.text };
  });
  return { description: `${manifest} (${records.length} pairs, ${paths.length} images)`, imageCount: paths.length, image: (k) => readImage(paths[k]!), pairs };
}

/** A field of a tab-separated file, quoted as pandas' read_csv (and Duet's table reader) unquote it. */
function tsvField(text: string): string {
  return /[\t\n\r"]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function padded(n: number, total: number): string {
  return String(n).padStart(Math.max(6, String(total - 1).length), "0");
}

/** Exports the training pairs of `source` to `outDir` (absent or empty). */
export async function exportData(source: ExportDataSource, outDir: string, options: ExportDataOptions): Promise<ExportDataResult> {
  const started = performance.now();
  const captionsPerImage = options.captionsPerImage ?? 1;
  const seed = options.seed ?? 0;
  const shardSize = options.shardSize ?? 1000;
  for (const [name, value] of [["captionsPerImage", captionsPerImage], ["shardSize", shardSize]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new ModelError(OP, `${name} must be a positive integer, got ${value}`);
  }
  checkOutFolder(OP, outDir); // before any rasterising: a busy --out fails at once
  let data: Pairs;
  if (source.kind === "openmoji") {
    const openMoji = await loadOpenMoji({ resolution: source.imageSize, cacheDir: source.cacheDir, hexcodes: source.hexcodes });
    data = openMojiPairs(openMoji, source.split, captionsPerImage, seed);
    if (data.pairs.length === 0) throw new ModelError(OP, `the OpenMoji ${source.split} split is empty (${openMoji.length} emojis loaded)`);
  } else {
    if (options.captionsPerImage !== undefined && captionsPerImage !== 1) throw new ModelError(OP, `captionsPerImage is for OpenMoji, whose captions are drawn; a manifest has its own`, source.manifest);
    data = manifestPairs(source);
  }
  const files = await writeNewFolder(OP, outDir, async (tmp) => {
    const written = options.format === "csv" ? writeCsvFolder(tmp, data) : await writeShards(tmp, data, shardSize, seed);
    const info = {
      format: options.format,
      source: source.kind === "openmoji" ? `openmoji:${source.split}` : source.manifest,
      description: data.description,
      samples: data.pairs.length,
      images: data.imageCount,
      ...(source.kind === "openmoji" ? { image_size: source.imageSize, captions_per_image: captionsPerImage } : {}),
      seed,
      ...(options.format === "wds" ? { shard_size: shardSize } : {}),
    };
    writeFileDurable(join(tmp, EXPORT_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
    return [...written, EXPORT_INFO_FILE];
  });
  return { outDir, format: options.format, description: data.description, samples: data.pairs.length, images: data.imageCount, files, seconds: (performance.now() - started) / 1000 };
}

function writeCsvFolder(dir: string, data: Pairs): string[] {
  const imagesDir = join(dir, "images");
  const names: string[] = [];
  mkdirSync(imagesDir);
  for (let k = 0; k < data.imageCount; k++) {
    const name = `images/${padded(k, data.imageCount)}.png`;
    writeFileDurable(join(dir, name), pngBytes(data.image(k)));
    names.push(name);
  }
  const lines = ["filepath\ttitle", ...data.pairs.map((pair) => `${names[pair.image]}\t${tsvField(pair.caption)}`)];
  writeFileDurable(join(dir, PAIRS_FILE), `${lines.join("\n")}\n`);
  return [PAIRS_FILE, `images/ (${names.length} PNG)`];
}

async function writeShards(dir: string, data: Pairs, shardSize: number, seed: number): Promise<string[]> {
  const order = permutation(data.pairs.length, generatorAt(seed, 0x5a4d)); // "wds": the shards' own stream
  const shardCount = Math.ceil(order.length / shardSize);
  const sizes: Record<string, number> = {};
  const png = new Map<number, Uint8Array>(); // an image drawn with several captions is encoded once
  const encoder = new TextEncoder();
  for (let s = 0; s < shardCount; s++) {
    const name = `${padded(s, shardCount)}.tar`;
    const samples: ShardSample[] = [];
    for (let i = s * shardSize; i < Math.min(order.length, (s + 1) * shardSize); i++) {
      const pair = data.pairs[order[i]!]!;
      let bytes = png.get(pair.image);
      if (bytes === undefined) png.set(pair.image, (bytes = pngBytes(data.image(pair.image))));
      samples.push({ key: String(i).padStart(9, "0"), files: { png: bytes, txt: encoder.encode(pair.caption) } });
    }
    await writeTarShard(join(dir, name), samples);
    sizes[name] = samples.length;
  }
  writeFileDurable(join(dir, SIZES_FILE), `${JSON.stringify(sizes, null, 2)}\n`);
  return [...Object.keys(sizes), SIZES_FILE];
}
