/**
 * `duet eval zeroshot` and `duet eval retrieval`: open_clip's zero-shot and retrieval
 * metrics for a checkpoint on a dataset — a manifest of the user's, or a split of the embedded
 * OpenMoji (`--data openmoji:test`, the demo's held-out emojis).
 */

import { readClassnames } from "../../data/index.js";
import { describeTemplateSets } from "../../data/prompt-template.js";
import { captionHeldOut, checkedEncoder, classificationHeldOut, evaluateHeldOut, openMojiEvalSet, retrievalSummary, zeroShotSummary } from "../../eval/index.js";
import { existingFile, parseOrHelp, positiveInt, required, stringFlag, UsageError, type Command, type Parsed } from "../args.js";
import type { Io } from "../io.js";
import { dataSpec, oneStyle, openCheckpoint, templatesFlag } from "../inputs.js";
import { progressFor } from "../progress.js";

const ZEROSHOT_USAGE = `usage: duet eval zeroshot --checkpoint C --data D [--templates T] [--classnames F] [--json]

Zero-shot classification accuracy: every class name, through the prompt templates, becomes a
class embedding; an image is assigned the class it is closest to (open_clip's zero-shot
classifier). Prints {top1, top5, n, classes} (accuracies as fractions, n images, classes the
number of classes) and the chance levels.

  --checkpoint C      the model (a Duet or an open_clip folder)
  --data D            a CSV/TSV with filepath and label columns, a folder of class
                      sub-folders, or openmoji[:train|val|test|all] (default split test;
                      classes: OpenMoji's subgroups, with emoji prompt templates)
  --templates T       a template set by name, or a file of templates (one a line, or a JSON
                      array), each holding {} for the class name; a class's embedding is the
                      mean over its templates. Default: emoji for openmoji, else photo:
${describeTemplateSets("                        ")}
  --classnames F      class names, one a line or a JSON array (default: the labels)
  --csv-img-key K     image path column (default filepath)
  --csv-label-key K   label column (default label)
  --csv-separator S   field separator (default "," or a tab for .tsv; "tab" for a tab)
  --batch-size N      images per forward pass (default 64)
  --json              print the result as JSON`;

const RETRIEVAL_USAGE = `usage: duet eval retrieval --checkpoint C --data D [--json]

Image-text retrieval, with open_clip's metric names: image_to_text_R@1/5/10,
text_to_image_R@1/5/10, *_mean_rank and *_median_rank. An image with several captions is
one image; image-to-text counts its best-ranked caption.

  --checkpoint C        the model (a Duet or an open_clip folder)
  --data D              a caption manifest (CSV/TSV with filepath and title columns, or JSONL
                        {"image", "text"}), or openmoji[:train|val|test|all] (default split
                        test; each emoji's caption is its annotation)
  --csv-img-key K       image path column (default filepath; JSONL key: image)
  --csv-caption-key K   caption column (default title; JSONL key: text)
  --csv-separator S     field separator (default "," or a tab for .tsv; "tab" for a tab)
  --batch-size N        images per forward pass (default 64)
  --json                print the metrics as JSON`;

const USAGE = `usage: duet eval zeroshot|retrieval|caption --checkpoint C --data D [options]

  zeroshot    zero-shot classification accuracy (top-1, top-5)
  retrieval   image-text retrieval (R@1/5/10 both ways, mean and median rank)
  caption     captioning (a CoCa): BLEU-1…4, ROUGE-L, CIDEr-D beside two baselines

Run "duet eval zeroshot --help", "duet eval retrieval --help" or "duet eval caption --help" for the options.`;

const CSV_OPTIONS = {
  "csv-img-key": { type: "string" },
  "csv-separator": { type: "string" },
} as const;

/** `--csv-separator`: one character; "tab" or "\t" mean a tab. */
export function separatorFlag(command: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const separator = value === "tab" || value === "\\t" ? "\t" : value;
  if (separator.length !== 1) throw new UsageError(`duet ${command}: --csv-separator must be one character (or "tab"), got ${JSON.stringify(value)}`);
  return separator;
}

function printMetrics(io: Io, json: boolean, result: Record<string, number | string>): void {
  if (json) {
    io.out(JSON.stringify(result));
    return;
  }
  const width = Math.max(...Object.keys(result).map((k) => k.length));
  for (const [key, value] of Object.entries(result)) io.out(`${key.padEnd(width)}  ${typeof value === "number" && !Number.isInteger(value) ? value.toFixed(4) : value}`);
}

async function runZeroShot({ values }: Parsed, io: Io): Promise<number> {
  const command = "eval zeroshot";
  const checkpointPath = required(command, values, "checkpoint");
  const data = dataSpec(command, required(command, values, "data"), "test");
  const templatesPath = stringFlag(values, "templates");
  const classnamesPath = stringFlag(values, "classnames");
  const templates = templatesPath === undefined ? undefined : templatesFlag(command, templatesPath).templates;
  const classnames = classnamesPath === undefined ? undefined : readClassnames(existingFile(command, "classnames", classnamesPath));
  const batchSize = positiveInt(command, "batch-size", values["batch-size"], 64);
  const onProgress = progressFor(io);
  let heldOut;
  if (data.kind === "openmoji") {
    if (classnames !== undefined) throw new UsageError(`duet ${command}: --classnames does not apply to openmoji (its classes are the subgroups)`);
    const checkpoint = openCheckpoint(command, checkpointPath);
    const set = await openMojiEvalSet(checkpoint.preprocess.size, data.split, { onProgress, style: oneStyle(command, data) });
    heldOut = { checkpoint, set: { ...set, captions: [], captionImage: new Int32Array(0) } };
  } else {
    const set = classificationHeldOut(data.path, {
      imgKey: stringFlag(values, "csv-img-key"),
      labelKey: stringFlag(values, "csv-label-key"),
      separator: separatorFlag(command, stringFlag(values, "csv-separator")),
      classnames,
    });
    if (set.images === 0) throw new UsageError(`duet ${command}: --data ${data.path} holds no images`);
    heldOut = { checkpoint: openCheckpoint(command, checkpointPath), set };
  }
  const { record } = await evaluateHeldOut(checkedEncoder(heldOut.checkpoint), heldOut.set, { batchSize, onProgress, ...(templates === undefined ? {} : { templates }) });
  printMetrics(io, json(values), { ...zeroShotSummary(record) });
  return 0;
}

const json = (values: Parsed["values"]) => Boolean(values["json"]);

async function runRetrieval({ values }: Parsed, io: Io): Promise<number> {
  const command = "eval retrieval";
  const checkpointPath = required(command, values, "checkpoint");
  const data = dataSpec(command, required(command, values, "data"), "test");
  const batchSize = positiveInt(command, "batch-size", values["batch-size"], 64);
  const onProgress = progressFor(io);
  let heldOut;
  if (data.kind === "openmoji") {
    const checkpoint = openCheckpoint(command, checkpointPath);
    const { zeroShot: _classes, ...set } = await openMojiEvalSet(checkpoint.preprocess.size, data.split, { onProgress, style: oneStyle(command, data) });
    heldOut = { checkpoint, set };
  } else {
    const set = captionHeldOut(data.path, {
      imgKey: stringFlag(values, "csv-img-key"),
      captionKey: stringFlag(values, "csv-caption-key"),
      separator: separatorFlag(command, stringFlag(values, "csv-separator")),
    });
    if (set.captions.length === 0) throw new UsageError(`duet ${command}: --data ${data.path} holds no pairs`);
    heldOut = { checkpoint: openCheckpoint(command, checkpointPath), set };
  }
  const { record } = await evaluateHeldOut(checkedEncoder(heldOut.checkpoint), heldOut.set, { batchSize, onProgress });
  printMetrics(io, json(values), { ...retrievalSummary(record) });
  return 0;
}

export const evalCommand: Command = {
  summary: "evaluate a checkpoint: zero-shot accuracy, retrieval or captioning",
  usage: USAGE,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === undefined || sub === "--help" || sub === "-h") {
      if (sub === undefined) throw new UsageError(`duet eval: give a task, zeroshot, retrieval or caption; see duet eval --help`);
      io.out(USAGE);
      return 0;
    }
    if (sub === "zeroshot") {
      const parsed = parseOrHelp("eval zeroshot", ZEROSHOT_USAGE, rest, io, {
        checkpoint: { type: "string" },
        data: { type: "string" },
        templates: { type: "string" },
        classnames: { type: "string" },
        ...CSV_OPTIONS,
        "csv-label-key": { type: "string" },
        "batch-size": { type: "string" },
        json: { type: "boolean" },
      });
      return parsed === undefined ? 0 : runZeroShot(parsed, io);
    }
    if (sub === "retrieval") {
      const parsed = parseOrHelp("eval retrieval", RETRIEVAL_USAGE, rest, io, {
        checkpoint: { type: "string" },
        data: { type: "string" },
        ...CSV_OPTIONS,
        "csv-caption-key": { type: "string" },
        "batch-size": { type: "string" },
        json: { type: "boolean" },
      });
      return parsed === undefined ? 0 : runRetrieval(parsed, io);
    }
    if (sub === "caption") {
      // loaded here: eval-caption imports this file (separatorFlag)
      const { CAPTION_OPTIONS, CAPTION_USAGE, runCaptionEval } = await import("./eval-caption.js");
      const parsed = parseOrHelp("eval caption", CAPTION_USAGE, rest, io, CAPTION_OPTIONS);
      return parsed === undefined ? 0 : runCaptionEval(parsed, io);
    }
    throw new UsageError(`duet eval: unknown task "${sub}"; expected zeroshot, retrieval or caption`);
  },
};
