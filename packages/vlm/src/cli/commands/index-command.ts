/** `duet index`: embed a folder or a caption manifest of images into a searchable index. */

import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { indexSelect, tensor, zeros, type Tensor } from "@duet/tensor";
import { openMojiSvgPath, readCaptions } from "../../data/index.js";
import { ImageError, readImage } from "../../image/index.js";
import { existingFolder, oneOf, parseOrHelp, positiveInt, required, stringFlag, UsageError, type Command } from "../args.js";
import { INDEX_FEATURES_FILE, INDEX_JSON_FILE, INDEX_METADATA_FILE, INDEX_NPY_FILE, weightsFingerprint, writeIndex, type IndexItem, type SkippedImage } from "../embedding-index.js";
import { embedImageStream, openMojiEvalSet } from "../../eval/index.js";
import { claimOutDir, OUT_MARKER } from "../out-dir.js";
import type { Io } from "../io.js";
import { progressFor } from "../progress.js";
import type { LoadedCheckpoint } from "../../model/index.js";
import { dataSpec, imagesUnder, oneStyle, openCheckpoint } from "../inputs.js";
import { separatorFlag } from "./eval.js";

const USAGE = `usage: duet index --checkpoint C (--images DIR | --data F) --out INDEX [--skip-errors] [--json]

Embeds images with a checkpoint and writes an index folder that duet search queries,
atomically:
  INDEX/index.json            the images (paths relative to INDEX), their captions, the
                              checkpoint (its path relative to INDEX, and the SHA-256
                              fingerprint of its weights, which duet search checks)
  INDEX/features.safetensors  the L2-normalised image features, float32 (N, D)
  INDEX/embeddings.npy        the same features as NumPy .npy (np.load, clip-retrieval)
  INDEX/metadata.csv          one row per image, in the features' order: image_path
                              (relative to INDEX), caption (the first), captions (all, JSON)
An index moved together with its images keeps working.

  --checkpoint C        the model (a Duet or an open_clip folder)
  --images DIR          every PNG and JPEG under DIR (recursively)
  --data F              a caption manifest (CSV/TSV with filepath and title columns, or
                        JSONL {"image", "text"}); an image's captions are kept with it;
                        or openmoji[:train|val|test|all] (default all): the emojis, each
                        with its annotation as caption
  --csv-img-key K       image path column (default filepath)
  --csv-caption-key K   caption column (default title)
  --csv-separator S     field separator (default "," or a tab for .tsv; "tab" for a tab)
  --out INDEX           the index folder: new, empty, or an index duet index wrote (then
                        replaced); any other folder is refused and left as it is
  --skip-errors         leave out images that are missing or cannot be decoded (counted,
                        listed in index.json); without it one such image stops the command
  --batch-size N        images per forward pass (default 64)
  --json                print {"index", "count", "embed_dim", "skipped"} as JSON`;

/** Why an image cannot be used, or null: a cheap look before the long embedding pass. */
function unreadable(path: string): string | null {
  try {
    return statSync(path).isFile() ? null : "not a file";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
  }
}

/**
 * The features of the items that can be read. Without `skipErrors` the first unreadable image
 * stops the command (exit 2, naming it); with it, a missing file (`fromFiles`: the images are
 * read from their paths) is left out before the long pass, an image that fails to decode is embedded as zeros (the batch keeps its shape) and its
 * row dropped after, and each is counted and listed.
 */
async function embedReadable(
  checkpoint: LoadedCheckpoint,
  items: readonly IndexItem[],
  imageAt: (i: number) => Tensor,
  options: { skipErrors: boolean; batchSize: number; io: Io; fromFiles: boolean },
): Promise<{ items: IndexItem[]; features: Tensor; skipped: SkippedImage[] }> {
  const skipped: SkippedImage[] = [];
  const bad = new Set<number>();
  const skip = (i: number, why: string) => {
    if (!options.skipErrors) throw new UsageError(`duet index: image ${items[i]!.path}: ${why} (give --skip-errors to leave out the images that cannot be read)`);
    skipped.push({ path: items[i]!.path, error: why });
    bad.add(i);
  };
  const noneReadable = () => new UsageError(`duet index: none of the ${items.length} images can be read (the first: ${skipped[0]!.path}: ${skipped[0]!.error})`);
  if (options.fromFiles) {
    items.forEach((item, i) => {
      const why = unreadable(item.path);
      if (why !== null) skip(i, why);
    });
  }
  if (bad.size === items.length) throw noneReadable();
  const size = checkpoint.preprocess.size;
  const imageOrZeros = (i: number): Tensor => {
    if (!bad.has(i)) {
      try {
        return imageAt(i);
      } catch (error) {
        if (!(error instanceof ImageError)) throw error;
        skip(i, error.message);
      }
    }
    return zeros([3, size, size]);
  };
  const features = await embedImageStream(checkpoint.model, items.length, imageOrZeros, { batchSize: options.batchSize, onProgress: progressFor(options.io), label: "indexing images" });
  if (bad.size === 0) return { items: [...items], features, skipped };
  if (bad.size === items.length) throw noneReadable();
  const keep = items.map((_, i) => i).filter((i) => !bad.has(i));
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  options.io.err(`skipped ${skipped.length} image${skipped.length === 1 ? "" : "s"} that could not be read (listed in ${INDEX_JSON_FILE}); the first: ${skipped[0]!.path}: ${skipped[0]!.error}`);
  return { items: keep.map((i) => items[i]!), features: indexSelect(features, 0, tensor(keep, [keep.length], { dtype: "int32" })), skipped };
}

export const indexCommand: Command = {
  summary: "build an embedding index over a folder or manifest of images",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrHelp("index", USAGE, args, io, {
      checkpoint: { type: "string" },
      images: { type: "string" },
      data: { type: "string" },
      "csv-img-key": { type: "string" },
      "csv-caption-key": { type: "string" },
      "csv-separator": { type: "string" },
      out: { type: "string" },
      "skip-errors": { type: "boolean" },
      "batch-size": { type: "string" },
      json: { type: "boolean" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const checkpointPath = required("index", values, "checkpoint");
    const out = required("index", values, "out");
    const source = oneOf("index", values, ["images", "data"], true)!;
    const batchSize = positiveInt("index", "batch-size", values["batch-size"], 64);
    const skipErrors = Boolean(values["skip-errors"]);
    const checkpoint = openCheckpoint("index", checkpointPath);
    let items: IndexItem[];
    let imageAt: (i: number) => Tensor;
    const data = source === "data" ? dataSpec("index", stringFlag(values, "data")!, "all") : undefined;
    if (data?.kind === "openmoji") {
      const set = await openMojiEvalSet(checkpoint.preprocess.size, data.split, { onProgress: progressFor(io), style: oneStyle("index", data) });
      items = set.hexcodes.map((hexcode, k) => ({ path: openMojiSvgPath(hexcode), captions: [set.captions[k]!] }));
      imageAt = (k) => checkpoint.preprocessImage(set.openMoji.image(set.indices[k]!));
    } else {
      if (source === "images") {
        const folder = existingFolder("index", "images", stringFlag(values, "images")!);
        items = imagesUnder(folder).map((path) => ({ path, captions: [] }));
        if (items.length === 0) throw new UsageError(`duet index: --images ${folder} holds no PNG or JPEG files`);
      } else {
        const manifest = readCaptions(stringFlag(values, "data")!, {
          imgKey: stringFlag(values, "csv-img-key"),
          captionKey: stringFlag(values, "csv-caption-key"),
          separator: separatorFlag("index", stringFlag(values, "csv-separator")),
          // with --skip-errors a missing image is skipped below, not an error of the manifest
          checkFiles: !skipErrors,
        });
        const byPath = new Map<string, IndexItem>();
        for (const record of manifest.records) {
          let item = byPath.get(record.image);
          if (item === undefined) byPath.set(record.image, (item = { path: record.image, captions: [] }));
          item.captions.push(record.text);
        }
        items = [...byPath.values()];
        if (items.length === 0) throw new UsageError(`duet index: --data ${manifest.file} lists no images`);
      }
      imageAt = (i) => checkpoint.preprocessImage(readImage(items[i]!.path));
    }
    const existed = existsSync(out);
    const claimed = claimOutDir("index", "out", out, "index");
    let built: Awaited<ReturnType<typeof embedReadable>>;
    try {
      built = await embedReadable(checkpoint, items, imageAt, { skipErrors, batchSize, io, fromFiles: data?.kind !== "openmoji" });
      writeIndex(claimed.path, { checkpoint: checkpoint.dir, fingerprint: weightsFingerprint(checkpoint.model.stateDict()), embedDim: built.features.shape[1]!, ...built });
    } catch (error) {
      // a folder this run claimed and filled with nothing goes back as it was: gone, or empty
      if (claimed.fresh) {
        rmSync(join(out, OUT_MARKER), { force: true });
        if (!existed) rmSync(out, { recursive: true, force: true });
      }
      throw error;
    }
    const { items: indexed, skipped, features } = built;
    const embedDim = features.shape[1]!;
    if (values["json"]) io.out(JSON.stringify({ index: out, count: indexed.length, embed_dim: embedDim, skipped: skipped.length }));
    else io.out(`indexed ${indexed.length} images (${embedDim}-dim features) into ${out}${skipped.length > 0 ? ` (${skipped.length} skipped)` : ""}: ${INDEX_JSON_FILE}, ${INDEX_FEATURES_FILE}, ${INDEX_NPY_FILE}, ${INDEX_METADATA_FILE}`);
    return 0;
  },
};
