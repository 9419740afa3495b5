/** `duet export-data`: the training pairs as open_clip_train reads them (CSV + images, or webdataset shards). */

import { exportData, type ExportDataSource } from "../../export/data.js";
import { nonNegativeInt, parseOrHelp, positiveInt, required, stringFlag, UsageError, type Command } from "../args.js";
import { dataSpec } from "../inputs.js";
import { separatorFlag } from "./eval.js";

const USAGE = `usage: duet export-data --data D --out DIR [--format csv|wds] [options]

Writes what duet train --data D trains on in the forms open_clip_train reads (docs/scale-out.md):

  --format csv   (default) DIR/images/NNNNNN.png and DIR/pairs.tsv with columns filepath and
                 title, tab-separated (open_clip_train's --csv-separator default); paths are
                 relative to DIR: run open_clip_train from DIR
  --format wds   webdataset shards DIR/000000.tar, ... (KEY.png + KEY.txt per sample, in a
                 seeded random order) and DIR/sizes.json with the count of each shard

  --data D                 openmoji (its train split, as duet train), openmoji:val|test|all, or a
                           caption manifest (CSV/TSV filepath,title or JSONL image,text)
  --out DIR                a new or empty folder (written atomically)
  --image-size N           OpenMoji: the side its emojis are rasterised at (default 64; the
                           demo model takes 32)
  --captions-per-image K   OpenMoji: captions drawn per emoji (default 1; Duet draws a fresh one
                           each time it sees an emoji)
  --seed N                 seeds the drawn captions and the shards' order (default 0)
  --shard-size N           samples per shard (default 1000)
  --csv-img-key K, --csv-caption-key K, --csv-separator S   the manifest's columns, as duet train
  --json                   print {"out", "format", "samples", "images", "files", "seconds"}`;

export const exportDataCommand: Command = {
  summary: "export training data for open_clip_train (CSV + PNG, or webdataset shards)",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrHelp("export-data", USAGE, args, io, {
      data: { type: "string" },
      out: { type: "string" },
      format: { type: "string" },
      "image-size": { type: "string" },
      "captions-per-image": { type: "string" },
      seed: { type: "string" },
      "shard-size": { type: "string" },
      "csv-img-key": { type: "string" },
      "csv-caption-key": { type: "string" },
      "csv-separator": { type: "string" },
      json: { type: "boolean" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const c = "export-data";
    const out = required(c, values, "out");
    const format = stringFlag(values, "format") ?? "csv";
    if (format !== "csv" && format !== "wds") throw new UsageError(`duet export-data: --format must be csv or wds, got "${format}"`);
    const spec = dataSpec(c, required(c, values, "data"), "train");
    if (spec.kind === "openmoji") {
      if (spec.id !== "openmoji") throw new UsageError(`duet export-data: --data ${spec.id}: only OpenMoji's own drawings (openmoji[:split]) are exported so far`);
      for (const flag of ["csv-img-key", "csv-caption-key", "csv-separator"]) {
        if (values[flag] !== undefined) throw new UsageError(`duet export-data: --${flag} is for a manifest, not OpenMoji`);
      }
    } else {
      for (const flag of ["image-size", "captions-per-image"]) {
        if (values[flag] !== undefined) throw new UsageError(`duet export-data: --${flag} is for OpenMoji; a manifest has its own images and captions`);
      }
    }
    const imageSize = positiveInt(c, "image-size", values["image-size"], 64);
    if (imageSize > 1024) throw new UsageError(`duet export-data: --image-size must be at most 1024, got ${imageSize}`);
    const source: ExportDataSource =
      spec.kind === "openmoji"
        ? { kind: "openmoji", split: spec.split, imageSize }
        : {
            kind: "captions",
            manifest: spec.path,
            imgKey: stringFlag(values, "csv-img-key"),
            captionKey: stringFlag(values, "csv-caption-key"),
            separator: separatorFlag(c, stringFlag(values, "csv-separator")),
          };
    const result = await exportData(source, out, {
      format,
      captionsPerImage: positiveInt(c, "captions-per-image", values["captions-per-image"]),
      seed: nonNegativeInt(c, "seed", values["seed"]),
      shardSize: positiveInt(c, "shard-size", values["shard-size"]),
    });
    if (values["json"]) {
      io.out(JSON.stringify({ out: result.outDir, format: result.format, samples: result.samples, images: result.images, files: result.files, seconds: result.seconds }));
    } else {
      io.out(`exported ${result.description} to ${result.outDir} as ${format === "csv" ? "pairs.tsv + PNG images" : "webdataset shards"} in ${result.seconds.toFixed(1)} s: ${result.samples} pairs, ${result.images} images`);
      io.out(format === "csv" ? `train with: cd ${result.outDir} && python -m open_clip_train.main --train-data pairs.tsv ...` : `train with: python -m open_clip_train.main --train-data "${result.outDir}/{${result.files[0]!.replace(".tar", "")}..${result.files[result.files.length - 3]!.replace(".tar", "")}}.tar" --dataset-type webdataset ...`);
    }
    return 0;
  },
};
