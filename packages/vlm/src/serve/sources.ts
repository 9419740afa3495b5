/**
 * What `duet serve` serves besides the page: a checkpoint folder, an image set, and the
 * OpenMoji data the Train tab learns from. Each is read or rasterised once, lazily, and
 * kept in memory; the routes (server.ts) only look things up here.
 *
 *   /api/info              what is available: {checkpoint, images, train}
 *   /api/images            the image set: {kind: "files", items: [{name, url, captions}]} for
 *                          --images DIR (every PNG and JPEG under it, recursively), or
 *                          {kind: "openmoji", resolution, split, items: [{name, hexcode, row}]}:
 *                          OpenMoji's test split (emojis the demo model never saw), as rows of
 *                          /openmoji/<R>/pixels.bin
 *   /openmoji/meta.json    every emoji: hexcode, annotation, tags, group, subgroup, split
 *   /openmoji/<R>/pixels.bin   the raster cache at R px (RGB, emoji after emoji), R being the
 *                          checkpoint's image size or the Train tab's (32)
 *   /vocab/clip-bpe.txt.gz CLIP's merges, for checkpoints that use CLIP's tokenizer
 */

import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { loadOpenMoji, openMojiItems, splitOfBase, type OpenMoji } from "../data/index.js";
import { readCheckpointConfig } from "../model/index.js";
import { CLIP_BPE_PATH } from "../tokenizer/index.js";
import { getPreset } from "../train/presets.js";
import { isInside } from "./paths.js";

export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg"];

/** The most images an image set lists: the page embeds them all when it opens. */
export const MAX_IMAGES = 10_000;

/** Resolution of the Train tab's model (the demo preset's). */
export const TRAIN_RESOLUTION = (getPreset("demo").model["vision_cfg"] as { image_size: number }).image_size;

export interface FileImageItem {
  /** Path relative to the image folder, with "/" separators. */
  readonly name: string;
  readonly url: string;
  readonly captions: string[];
}

export interface ServeSourceOptions {
  checkpoint?: string;
  images?: string;
  /** Where OpenMoji rasters are cached (default: the repository's .cache/openmoji). */
  cacheDir?: string;
}

/** A URL path segment for each part of a relative path. */
export function encodePath(relativePath: string): string {
  return relativePath.split("/").map(encodeURIComponent).join("/");
}

/**
 * Image files under a folder (sorted, recursively), as the server may serve them: hidden
 * names are skipped, and so is a symlink whose target lies outside the folder (each real
 * folder is walked once, so a symlink loop ends).
 */
export function listImages(folder: string, limit = MAX_IMAGES): string[] {
  const found: string[] = [];
  const realRoot = realpathSync(folder);
  const seen = new Set<string>();
  const walk = (dir: string) => {
    const realDir = realpathSync(dir);
    if (seen.has(realDir)) return;
    seen.add(realDir);
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".") || found.length >= limit) continue;
      const path = join(dir, name);
      let real: string;
      try {
        real = realpathSync(path);
      } catch {
        continue; // a dangling link
      }
      if (!isInside(realRoot, real)) continue;
      const stats = statSync(real);
      if (stats.isDirectory()) walk(path);
      else if (stats.isFile() && IMAGE_EXTENSIONS.includes(extname(name).toLowerCase())) found.push(path);
    }
  };
  walk(folder);
  return found;
}

export class ServeSources {
  readonly checkpointDir: string | undefined;
  readonly checkpointFiles: string[];
  readonly checkpointResolution: number | undefined;
  readonly imagesDir: string | undefined;
  private fileItems: FileImageItem[] | undefined;
  private meta: Record<string, unknown> | undefined;
  private readonly rasters = new Map<number, Promise<OpenMoji>>();

  constructor(private readonly options: ServeSourceOptions) {
    if (options.checkpoint !== undefined) {
      const { config, dir, layout } = readCheckpointConfig(options.checkpoint); // fails early on a broken folder
      this.checkpointDir = dir;
      this.checkpointResolution = config.vision_cfg.image_size;
      const names = layout === "duet" ? ["config.json", "model.safetensors", "tokenizer.json"] : ["open_clip_config.json", "open_clip_model.safetensors"];
      this.checkpointFiles = names.filter((name) => existsSync(join(dir, name)));
    } else {
      this.checkpointFiles = [];
    }
    this.imagesDir = options.images;
  }

  /** Resolutions /openmoji/<R>/pixels.bin may be asked for (never an arbitrary one: each costs a rasterisation). */
  get resolutions(): number[] {
    return [...new Set([TRAIN_RESOLUTION, ...(this.checkpointResolution === undefined ? [] : [this.checkpointResolution])])];
  }

  info(): Record<string, unknown> {
    return {
      checkpoint: this.checkpointDir === undefined ? null : { files: this.checkpointFiles, base: "/checkpoint/" },
      images: this.imagesDir === undefined ? { kind: "openmoji", split: "test" } : { kind: "files" },
      train: { preset: "demo", resolution: TRAIN_RESOLUTION },
    };
  }

  /** The --images folder's files, listed once. */
  files(): FileImageItem[] {
    if (this.imagesDir === undefined) return [];
    this.fileItems ??= listImages(this.imagesDir).map((path) => {
      const name = relative(this.imagesDir!, path).split(sep).join("/");
      return { name, url: `/images/file/${encodePath(name)}`, captions: [] };
    });
    return this.fileItems;
  }

  async imageSet(): Promise<Record<string, unknown>> {
    if (this.imagesDir !== undefined) return { kind: "files", items: this.files() };
    const resolution = this.checkpointResolution ?? TRAIN_RESOLUTION;
    const items = openMojiItems()
      .map((item, row) => ({ name: item.annotation, hexcode: item.hexcode, row, split: splitOfBase(item.baseHexcode) }))
      .filter((item) => item.split === "test")
      .map(({ name, hexcode, row }) => ({ name, hexcode, row }));
    return { kind: "openmoji", split: "test", resolution, pixels: `/openmoji/${resolution}/pixels.bin`, items };
  }

  openMojiMeta(): Record<string, unknown> {
    this.meta ??= { items: openMojiItems().map((item) => ({ ...item, split: splitOfBase(item.baseHexcode) })) };
    return this.meta;
  }

  /** The rasters at `resolution` (rasterised once if the cache has none). */
  openMoji(resolution: number): Promise<OpenMoji> {
    let found = this.rasters.get(resolution);
    if (found === undefined) {
      found = loadOpenMoji({ resolution, cacheDir: this.options.cacheDir });
      found.catch(() => this.rasters.delete(resolution)); // a failure may be retried
      this.rasters.set(resolution, found);
    }
    return found;
  }

  vocabPath(): string {
    return CLIP_BPE_PATH;
  }
}
