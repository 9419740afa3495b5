/**
 * `duet eval caption`: BLEU-1…4, ROUGE-L and CIDEr-D of a CoCa's captions against the
 * references, beside the retrieval baseline (the caption of the nearest training image in the
 * joint space) and the most frequent training caption (eval/caption-eval.ts). `duet eval`
 * dispatches here.
 */

import { emojiCaptionSet, evaluateCaptions, manifestCaptionSet, type CaptionEvaluation, type CaptionSet } from "../../eval/index.js";
import type { CaptionMetrics } from "../../eval/caption-metrics.js";
import { longestCaption } from "../../model/coca-generate.js";
import { existingFile, positiveInt, required, stringFlag, UsageError, type Parsed } from "../args.js";
import type { Io } from "../io.js";
import { dataSpec, openCheckpoint, type OpenMojiSpec } from "../inputs.js";
import { progressFor } from "../progress.js";
import { checkMaxLength, cocaCheckpoint, DECODE_HELP, DECODE_OPTIONS, decodeFlags } from "./caption.js";
import { separatorFlag } from "./eval.js";

export const CAPTION_USAGE = `usage: duet eval caption --checkpoint C --data D [--train-data T] [options] [--json]

Captioning metrics of a CoCa checkpoint, as pycocoevalcap computes them: BLEU-1…4, ROUGE-L
(0…1) and CIDEr-D (0…10), of the generated captions against each image's references, beside
two baselines on the same images:
  retrieval      the caption of the nearest training image in the joint space (cosine of
                 the image features; that image's first caption, an emoji's annotation)
  most_frequent  the most frequent training caption, for every image

  --checkpoint C        the CoCa model
  --data D              the emojis, openmoji|noto|fluent|emoji[:val|test] (default test;
                        references: every distinct caption the training captioner can give
                        the emoji; training data: the train split of the same styles), or a
                        caption manifest (references: all captions of an image)
  --train-data T        the training manifest the baselines draw from (required with a
                        manifest --data; not used with the emojis)
${DECODE_HELP}
  --batch-size N        images decoded together (default 32)
  --csv-img-key K       manifest image path column (default filepath)
  --csv-caption-key K   manifest caption column (default title)
  --csv-separator S     manifest field separator (default "," or a tab for .tsv)
  --json                print {"data", "train_data", "model": {bleu1, bleu2, bleu3, bleu4,
                        rougeL, ciderD, n}, "baselines": {"retrieval": {...},
                        "most_frequent": {..., "caption", "count"}}, "decoding", "examples"}`;

export const CAPTION_OPTIONS = {
  checkpoint: { type: "string" },
  data: { type: "string" },
  "train-data": { type: "string" },
  ...DECODE_OPTIONS,
  "csv-img-key": { type: "string" },
  "csv-caption-key": { type: "string" },
  "csv-separator": { type: "string" },
  json: { type: "boolean" },
} as const;

/** The emojis to score and the train split of the same styles. */
async function emojiSets(command: string, data: OpenMojiSpec, resolution: number, io: Io): Promise<[CaptionSet, CaptionSet]> {
  if (data.split === "train" || data.split === "all") {
    throw new UsageError(`duet ${command}: --data ${data.id}:${data.split} overlaps the train split the retrieval baseline copies from; evaluate on ${data.id}:val or ${data.id}:test`);
  }
  const onProgress = progressFor(io);
  return [await emojiCaptionSet(resolution, data.styles, data.split, { onProgress }), await emojiCaptionSet(resolution, data.styles, "train", { onProgress })];
}

export async function runCaptionEval({ values }: Parsed, io: Io): Promise<number> {
  const command = "eval caption";
  const checkpointPath = required(command, values, "checkpoint");
  const data = dataSpec(command, required(command, values, "data"), "test");
  const decode = decodeFlags(command, values);
  const batchSize = positiveInt(command, "batch-size", values["batch-size"], 32);
  const trainData = stringFlag(values, "train-data");
  if (data.kind === "openmoji" && trainData !== undefined) throw new UsageError(`duet ${command}: --train-data applies to a manifest --data; with the emojis the baselines use the train split of the same styles`);
  if (data.kind === "file" && trainData === undefined) throw new UsageError(`duet ${command}: --train-data T is required with a manifest --data: the baselines copy captions from the training data`);
  const checkpoint = openCheckpoint(command, checkpointPath);
  checkMaxLength(command, longestCaption(cocaCheckpoint(command, checkpoint, checkpointPath)), decode);
  let test: CaptionSet;
  let train: CaptionSet;
  if (data.kind === "openmoji") [test, train] = await emojiSets(command, data, checkpoint.preprocess.size, io);
  else {
    const csv = {
      imgKey: stringFlag(values, "csv-img-key"),
      captionKey: stringFlag(values, "csv-caption-key"),
      separator: separatorFlag(command, stringFlag(values, "csv-separator")),
    };
    test = manifestCaptionSet(existingFile(command, "data", data.path), csv);
    train = manifestCaptionSet(existingFile(command, "train-data", trainData!), csv);
    if (test.count === 0) throw new UsageError(`duet ${command}: --data ${data.path} holds no images`);
    if (train.count === 0) throw new UsageError(`duet ${command}: --train-data ${trainData} holds no images`);
  }
  const result = await evaluateCaptions(checkpoint, test, train, decode, { batchSize, onProgress: progressFor(io) });
  const decoding = { strategy: (decode.beams ?? 1) > 1 ? "beam" : decode.topK !== undefined || decode.topP !== undefined || decode.temperature !== undefined ? "sample" : "greedy", ...decode };
  if (values["json"]) io.out(JSON.stringify({ ...result, decoding }));
  else printTable(io, result);
  return 0;
}

function printTable(io: Io, result: CaptionEvaluation): void {
  const keys = ["bleu1", "bleu2", "bleu3", "bleu4", "rougeL", "ciderD"] as const;
  const rows: [string, CaptionMetrics][] = [["model", result.model], ["retrieval", result.baselines.retrieval], ["most_frequent", result.baselines.most_frequent]];
  io.out(`${result.data}: ${result.model.n} images; baselines from ${result.train_data}`);
  io.out(`${"".padEnd(14)}${keys.map((k) => k.padStart(8)).join("")}`);
  for (const [name, m] of rows) io.out(`${name.padEnd(14)}${keys.map((k) => m[k].toFixed(4).padStart(8)).join("")}`);
  io.out(`most frequent training caption: ${JSON.stringify(result.baselines.most_frequent.caption)} (${result.baselines.most_frequent.count}×)`);
  for (const e of result.examples) io.out(`  ${e.image}: ${JSON.stringify(e.generated)} (retrieved ${JSON.stringify(e.retrieved)}; reference ${JSON.stringify(e.reference)})`);
}
