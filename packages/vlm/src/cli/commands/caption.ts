/**
 * `duet caption`: one caption per image from a CoCa checkpoint — greedy by default, beam search
 * with --beams, top-k / top-p sampling with --top-k / --top-p and --seed. The decoding flags are
 * shared with `duet eval caption` (decodeFlags).
 */

import { captionSet, emojiCaptionSet, filesCaptionSet, manifestCaptionSet, type CaptionSet, type CaptionDecodeOptions } from "../../eval/index.js";
import { isCoCa, type CoCa } from "../../model/coca.js";
import { longestCaption } from "../../model/coca-generate.js";
import type { LoadedCheckpoint } from "../../model/index.js";
import { existingFile, existingFolder, nonNegativeInt, numberIn, oneOf, parseOrHelp, positiveInt, required, stringFlag, stringList, UsageError, type Command, type Options, type Parsed } from "../args.js";
import type { Io } from "../io.js";
import { dataSpec, imagesUnder, openCheckpoint } from "../inputs.js";
import { progressFor } from "../progress.js";
import { separatorFlag } from "./eval.js";

export const DECODE_HELP = `  --max-length N      at most N generated tokens (default: the model's context length)
  --beams N           beam search with N beams, ranked by Σ log p / length (length-normalised,
                      as open_clip's generate()); 1 (default) is greedy
  --top-k K           sample among the K most likely tokens
  --top-p P           sample from the nucleus: the fewest most likely tokens whose
                      probability reaches P, 0 < P <= 1
  --temperature T     sampling: divide the logits by T > 0 (default 1)
  --seed S            sampling's seed (default 0): the same seed gives the same captions`;

export const DECODE_OPTIONS = {
  "max-length": { type: "string" },
  beams: { type: "string" },
  "top-k": { type: "string" },
  "top-p": { type: "string" },
  temperature: { type: "string" },
  seed: { type: "string" },
  "batch-size": { type: "string" },
} as const satisfies Options;

/** The decoding flags as generation options; maxLength is checked against the model later (longestCaption). */
export function decodeFlags(command: string, values: Parsed["values"]): CaptionDecodeOptions {
  const beams = positiveInt(command, "beams", values["beams"]);
  const topK = positiveInt(command, "top-k", values["top-k"]);
  const topP = numberIn(command, "top-p", values["top-p"], 0, 1);
  if (topP === 0) throw new UsageError(`duet ${command}: --top-p must be in (0, 1], got "${String(values["top-p"])}"`);
  const temperature = numberIn(command, "temperature", values["temperature"], 0);
  if (temperature === 0) throw new UsageError(`duet ${command}: --temperature must be > 0, got "${String(values["temperature"])}"`);
  const sampling = topK !== undefined || topP !== undefined || temperature !== undefined;
  if (beams !== undefined && beams > 1 && sampling) throw new UsageError(`duet ${command}: --beams cannot be combined with --top-k, --top-p or --temperature (beam search does not sample); choose one`);
  const seed = nonNegativeInt(command, "seed", values["seed"]);
  if (seed !== undefined && !sampling) throw new UsageError(`duet ${command}: --seed applies to sampling only; give --top-k, --top-p or --temperature too`);
  const options: CaptionDecodeOptions = {};
  const maxLength = positiveInt(command, "max-length", values["max-length"]);
  if (maxLength !== undefined) options.maxLength = maxLength;
  if (beams !== undefined) options.beams = beams;
  if (topK !== undefined) options.topK = topK;
  if (topP !== undefined) options.topP = topP;
  if (temperature !== undefined) options.temperature = temperature;
  if (seed !== undefined) options.seed = seed;
  return options;
}

/** The checkpoint's CoCa, or a usage error (exit 2) saying captioning needs one. */
export function cocaCheckpoint(command: string, checkpoint: LoadedCheckpoint, path: string): CoCa {
  if (!isCoCa(checkpoint.model)) {
    throw new UsageError(`duet ${command}: --checkpoint ${path} is a CLIP model (its config has no multimodal_cfg, so no text decoder): captioning needs a CoCa checkpoint (e.g. from duet train --model coca)`);
  }
  return checkpoint.model;
}

/** Refuses a --max-length the model cannot read (a usage error, exit 2). */
export function checkMaxLength(command: string, longest: number, options: CaptionDecodeOptions): void {
  if (options.maxLength !== undefined && options.maxLength > longest) {
    throw new UsageError(`duet ${command}: --max-length must be at most ${longest} (the longest prefix this model's text tower and decoder read), got ${options.maxLength}`);
  }
}

const USAGE = `usage: duet caption --checkpoint C (--image P... | --images DIR | --data D) [options] [--json]

Describes each image in words with a CoCa checkpoint (a Duet or an open_clip folder whose
config has a multimodal_cfg): its text decoder writes the caption token by token, reading the
image's tokens, with a key/value cache. Prints one caption per image; a CLIP checkpoint is
refused (it has no decoder).

  --checkpoint C      the CoCa model
  --image P           an image file (PNG or JPEG); repeat for more
  --images DIR        every PNG and JPEG under DIR (sorted)
  --data D            a caption manifest (its distinct images), or the emojis:
                      openmoji|noto|fluent|emoji[:train|val|test|all] (default split test)
${DECODE_HELP}
  --batch-size N      images decoded together (default 32)
  --csv-img-key K     manifest image path column (default filepath)
  --csv-caption-key K manifest caption column (default title)
  --csv-separator S   manifest field separator (default "," or a tab for .tsv)
  --json              print {"captions": [{"image", "text", "tokens"}]} (tokens: the
                      generated ids, without <start_of_text> and <end_of_text>)`;

/** The images of --image, --images or --data (a manifest or the emojis), at the checkpoint's resolution. */
async function imagesToCaption(command: string, values: Parsed["values"], resolution: number, io: Io): Promise<CaptionSet> {
  const source = oneOf(command, values, ["image", "images", "data"], true);
  if (source === "image") return filesCaptionSet(stringList(values, "image").map((p) => existingFile(command, "image", p)));
  if (source === "images") {
    const folder = existingFolder(command, "images", stringFlag(values, "images")!);
    const paths = imagesUnder(folder);
    if (paths.length === 0) throw new UsageError(`duet ${command}: --images ${folder} holds no PNG or JPEG files`);
    return filesCaptionSet(paths);
  }
  const data = dataSpec(command, stringFlag(values, "data")!, "test");
  if (data.kind === "openmoji") return emojiCaptionSet(resolution, data.styles, data.split, { onProgress: progressFor(io) });
  const set = manifestCaptionSet(existingFile(command, "data", data.path), {
    imgKey: stringFlag(values, "csv-img-key"),
    captionKey: stringFlag(values, "csv-caption-key"),
    separator: separatorFlag(command, stringFlag(values, "csv-separator")),
  });
  if (set.count === 0) throw new UsageError(`duet ${command}: --data ${data.path} holds no images`);
  return set;
}

export const captionCommand: Command = {
  summary: "caption images with a CoCa checkpoint (greedy, beam search or sampling)",
  usage: USAGE,
  async run(args, io) {
    const command = "caption";
    const parsed = parseOrHelp(command, USAGE, args, io, {
      checkpoint: { type: "string" },
      image: { type: "string", multiple: true },
      images: { type: "string" },
      data: { type: "string" },
      ...DECODE_OPTIONS,
      "csv-img-key": { type: "string" },
      "csv-caption-key": { type: "string" },
      "csv-separator": { type: "string" },
      json: { type: "boolean" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const checkpointPath = required(command, values, "checkpoint");
    const decode = decodeFlags(command, values);
    const batchSize = positiveInt(command, "batch-size", values["batch-size"], 32);
    oneOf(command, values, ["image", "images", "data"], true); // before loading anything
    const checkpoint = openCheckpoint(command, checkpointPath);
    checkMaxLength(command, longestCaption(cocaCheckpoint(command, checkpoint, checkpointPath)), decode);
    const set = await imagesToCaption(command, values, checkpoint.preprocess.size, io);
    const captions = await captionSet(checkpoint, set, decode, { batchSize, onProgress: progressFor(io) });
    if (values["json"]) io.out(JSON.stringify({ captions }));
    else for (const c of captions) io.out(`${c.image}\t${c.text}`);
    return 0;
  },
};
