/** `duet index`: embed a folder or a caption manifest of images into a searchable index. */

import type { Tensor } from "@duet/tensor";
import { openMojiSvgPath, readCaptions } from "../../data/index.js";
import { readImage } from "../../image/index.js";
import { existingFolder, oneOf, parseOrHelp, positiveInt, required, stringFlag, UsageError, type Command } from "../args.js";
import { writeIndex, type IndexItem } from "../embedding-index.js";
import { embedImageStream, openMojiEvalSet } from "../../eval/index.js";
import { progressFor } from "../progress.js";
import { dataSpec, imagesUnder, openCheckpoint } from "../inputs.js";
import { separatorFlag } from "./eval.js";

const USAGE = `usage: duet index --checkpoint C (--images DIR | --data F) --out INDEX [--json]

Embeds images with a checkpoint and writes an index folder that duet search queries:
INDEX/features.safetensors (the L2-normalised image features) and INDEX/index.json (the
image paths, their captions, the checkpoint), written atomically.

  --checkpoint C        the model (a Duet or an open_clip folder)
  --images DIR          every PNG and JPEG under DIR (recursively)
  --data F              a caption manifest (CSV/TSV with filepath and title columns, or
                        JSONL {"image", "text"}); an image's captions are kept with it;
                        or openmoji[:train|val|test|all] (default all): the emojis, each
                        with its annotation as caption
  --csv-img-key K       image path column (default filepath)
  --csv-caption-key K   caption column (default title)
  --csv-separator S     field separator (default "," or a tab for .tsv; "tab" for a tab)
  --out INDEX           the index folder to write (replaced if it exists)
  --batch-size N        images per forward pass (default 64)
  --json                print {"index", "count", "embed_dim"} as JSON`;

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
      "batch-size": { type: "string" },
      json: { type: "boolean" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const checkpointPath = required("index", values, "checkpoint");
    const out = required("index", values, "out");
    const source = oneOf("index", values, ["images", "data"], true)!;
    const batchSize = positiveInt("index", "batch-size", values["batch-size"], 64);
    const checkpoint = openCheckpoint("index", checkpointPath);
    let items: IndexItem[];
    let imageAt: (i: number) => Tensor;
    const data = source === "data" ? dataSpec("index", stringFlag(values, "data")!, "all") : undefined;
    if (data?.kind === "openmoji") {
      const set = await openMojiEvalSet(checkpoint.preprocess.size, data.split, { onProgress: progressFor(io) });
      items = set.hexcodes.map((hexcode, k) => ({ path: openMojiSvgPath(hexcode), captions: [set.captions[k]!] }));
      imageAt = (k) => checkpoint.preprocessImage(set.openMoji.image(set.indices[k]!));
    } else if (source === "images") {
      const folder = existingFolder("index", "images", stringFlag(values, "images")!);
      items = imagesUnder(folder).map((path) => ({ path, captions: [] }));
      if (items.length === 0) throw new UsageError(`duet index: --images ${folder} holds no PNG or JPEG files`);
      imageAt = (i) => checkpoint.preprocessImage(readImage(items[i]!.path));
    } else {
      const manifest = readCaptions(stringFlag(values, "data")!, {
        imgKey: stringFlag(values, "csv-img-key"),
        captionKey: stringFlag(values, "csv-caption-key"),
        separator: separatorFlag("index", stringFlag(values, "csv-separator")),
      });
      const byPath = new Map<string, IndexItem>();
      for (const record of manifest.records) {
        let item = byPath.get(record.image);
        if (item === undefined) byPath.set(record.image, (item = { path: record.image, captions: [] }));
        item.captions.push(record.text);
      }
      items = [...byPath.values()];
      if (items.length === 0) throw new UsageError(`duet index: --data ${manifest.file} lists no images`);
      imageAt = (i) => checkpoint.preprocessImage(readImage(items[i]!.path));
    }
    const features = await embedImageStream(checkpoint.model, items.length, imageAt, { batchSize, onProgress: progressFor(io), label: "indexing images" });
    const embedDim = features.shape[1]!;
    writeIndex(out, { checkpoint: checkpoint.dir, embedDim, items, features });
    if (values["json"]) io.out(JSON.stringify({ index: out, count: items.length, embed_dim: embedDim }));
    else io.out(`indexed ${items.length} images (${embedDim}-dim features) into ${out}`);
    return 0;
  },
};
