/**
 * The embedded default dataset: OpenMoji 17's emojis (CC BY-SA 4.0; see attribution.ts),
 * drawn in one style (OpenMoji's own, Noto or Fluent: styles.ts), rasterised at the model's
 * resolution and cached, with sampled captions, a split by base emoji (the same in every
 * style) and the subgroups as zero-shot classes. A style that has no drawing of an emoji
 * leaves it out. Several styles together: collection.ts.
 *
 *   const openMoji = await loadOpenMoji({ resolution: 64, onProgress: (done, total) => ... });
 *   const train = openMoji.captionDataset("train");          // a Dataset for DataLoader
 *   writeSplitJson("runs/demo/split.json", openMoji.split);
 */

import { stack, type Generator, type Tensor } from "@duet/tensor";
import { imageToTensor, rgbImage, type NormalizeOptions, type RgbImage } from "../../image/index.js";
import { DataError } from "../errors.js";
import type { Dataset } from "../loader.js";
import { defaultCacheDir, loadOrRasterize, type RasterCacheResult } from "./cache.js";
import { OpenMojiCaptioner } from "./captions.js";
import { openMojiClasses, type ZeroShotClasses } from "./classes.js";
import { openMojiItems, type OpenMojiItem } from "./metadata.js";
import type { ProgressCallback } from "./rasterize.js";
import { styleHas, type EmojiStyle } from "./styles.js";
import { splitOfBase, splitOpenMoji, type Split, type SplitName } from "./split.js";

export interface OpenMojiOptions {
  /** Whose drawings (default "openmoji"). */
  style?: EmojiStyle;
  /** Side of the square images in pixels (default 64). */
  resolution?: number;
  /** Where rasters are cached (default `.cache/openmoji` at the repository root). */
  cacheDir?: string;
  /** Only these emojis, in this order (tests use a handful). */
  hexcodes?: readonly string[];
  /** Only the first `limit` emojis (after `hexcodes`). */
  limit?: number;
  /** Progress of the rasterisation, for a progress bar. */
  onProgress?: ProgressCallback;
  /** Renders in flight (default: twice the cores). */
  concurrency?: number;
}

export interface OpenMojiSample {
  readonly image: RgbImage;
  readonly caption: string;
  readonly hexcode: string;
  /** Index of the emoji in the OpenMoji dataset's items. */
  readonly index: number;
}

export class OpenMoji {
  readonly split: Split;
  readonly zeroShot: ZeroShotClasses;
  private readonly captioner: OpenMojiCaptioner;
  private readonly imageBytes: number;

  constructor(
    readonly items: readonly OpenMojiItem[],
    readonly resolution: number,
    /** RGB bytes, emoji after emoji. */
    readonly pixels: Uint8Array,
    /** How the pixels came: from the cache ("hit") or rasterised now ("built", with the reason). */
    readonly cache: Omit<RasterCacheResult, "pixels">,
    /** Whose drawings the pixels are. */
    readonly style: EmojiStyle = "openmoji",
  ) {
    this.imageBytes = resolution * resolution * 3;
    if (pixels.length !== items.length * this.imageBytes) {
      throw new DataError("OpenMoji", `${items.length} emojis at ${resolution}px need ${items.length * this.imageBytes} bytes, got ${pixels.length}`);
    }
    this.split = splitOpenMoji(items);
    this.zeroShot = openMojiClasses(items);
    this.captioner = new OpenMojiCaptioner(openMojiItems());
  }

  get length(): number {
    return this.items.length;
  }

  /** Emoji i as an RGB image (a view of the shared pixels: do not write into it). */
  image(index: number): RgbImage {
    return rgbImage(this.resolution, this.resolution, this.pixels.subarray(index * this.imageBytes, (index + 1) * this.imageBytes));
  }

  /** Emoji i as the normalised [3, H, W] tensor an image tower takes. */
  imageTensor(index: number, options: NormalizeOptions = {}): Tensor {
    return imageToTensor(this.image(index), options);
  }

  /** Indices (into `items`) of a split's emojis. */
  indicesOf(split: SplitName): number[] {
    const out: number[] = [];
    this.items.forEach((item, i) => {
      if (splitOfBase(item.baseHexcode) === split) out.push(i);
    });
    return out;
  }

  /** A caption of emoji i, drawn from `generator` (captions.ts). */
  sampleCaption(index: number, generator: Generator): string {
    return this.captioner.sample(this.items[index]!, generator);
  }

  /** How many different captions emoji i can get. */
  distinctCaptions(index: number): number {
    return this.captioner.distinctCaptions(this.items[index]!);
  }

  /** The tags a caption of emoji i may use. */
  tagPool(index: number): readonly string[] {
    return this.captioner.tagPool(this.items[index]!);
  }

  /**
   * Image–caption pairs of a split (or of every emoji); each time the loader draws an emoji it
   * gets a fresh caption, sampled from the sample's own Generator.
   */
  captionDataset(split: SplitName | "all" = "train"): Dataset<OpenMojiSample> {
    const indices = split === "all" ? this.items.map((_, i) => i) : this.indicesOf(split);
    return {
      length: indices.length,
      get: (k, context) => {
        const index = indices[k]!;
        const item = this.items[index]!;
        return { image: this.image(index), caption: this.captioner.sample(item, context.generator), hexcode: item.hexcode, index };
      },
    };
  }
}

/** Loads OpenMoji at a resolution: from the cache when it is valid, else rasterised (and cached). */
export async function loadOpenMoji(options: OpenMojiOptions = {}): Promise<OpenMoji> {
  const resolution = options.resolution ?? 64;
  if (!Number.isInteger(resolution) || resolution < 1 || resolution > 1024) {
    throw new DataError("loadOpenMoji", `resolution must be an integer in [1, 1024], got ${resolution}`);
  }
  const style = options.style ?? "openmoji";
  // the emojis this style draws, in OpenMoji's order
  const all = style === "openmoji" ? openMojiItems() : openMojiItems().filter((item) => styleHas(style, item.hexcode));
  let items = all;
  if (options.hexcodes !== undefined) {
    const byHexcode = new Map(all.map((item) => [item.hexcode, item]));
    items = options.hexcodes.map((hexcode) => {
      const item = byHexcode.get(hexcode);
      if (item === undefined) throw new DataError("loadOpenMoji", `no emoji with hexcode ${JSON.stringify(hexcode)} in OpenMoji${style === "openmoji" ? "" : ` drawn in the ${style} style`}`);
      return item;
    });
  }
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new DataError("loadOpenMoji", `limit must be a positive integer, got ${options.limit}`);
    items = items.slice(0, options.limit);
  }
  const hexcodes = items.map((item) => item.hexcode);
  const isFullSet = items.length === all.length && items.every((item, i) => item === all[i]);
  const { pixels, ...cache } = await loadOrRasterize(hexcodes, resolution, {
    cacheDir: options.cacheDir ?? defaultCacheDir(),
    isFullSet,
    onProgress: options.onProgress,
    concurrency: options.concurrency,
    style,
  });
  return new OpenMoji(items, resolution, pixels, cache, style);
}

/** Stacks samples' images into a normalised [B, 3, H, W] tensor, beside their captions. */
export function collateOpenMoji(samples: readonly OpenMojiSample[], options: NormalizeOptions = {}): { images: Tensor; captions: string[]; hexcodes: string[] } {
  return {
    images: stack(samples.map((sample) => imageToTensor(sample.image, options))),
    captions: samples.map((sample) => sample.caption),
    hexcodes: samples.map((sample) => sample.hexcode),
  };
}
