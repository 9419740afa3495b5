/** `duet train`: train a CLIP model on a dataset (trainClip, ../../train). */

import { existsSync, readFileSync } from "node:fs";
import { restoreCheckpoint } from "../../model/checkpoint.js";
import { jsonDepthProblem } from "../../data/json-depth.js";
import { parseModelConfig, type ModelConfigJson } from "../../model/index.js";
import { describeEval, isPresetName, PRESET_NAMES, type TrainClipOptions, type TrainDataOption, type ValDataOption } from "../../train/index.js";
import { existingFile, existingFolder, nonNegativeInt, numberIn, parseOrHelp, positiveInt, required, stringFlag, UsageError, type Command } from "../args.js";
import { dataSpec, oneStyle } from "../inputs.js";
import { claimRunDir, describeInterrupt, exitCodeOf, trainWithProgress } from "../training.js";
import { separatorFlag } from "./eval.js";

const USAGE = `usage: duet train --out DIR [--data D] [--model M] [options]

Trains a CLIP-style model with the symmetric contrastive loss (or SigLIP's) and writes the run
folder: DIR/checkpoint/ (config.json, model.safetensors, tokenizer.json, train_state.json,
optimizer.safetensors; written atomically every --checkpoint-every steps and at the end),
DIR/train_log.jsonl and DIR/eval_log.jsonl. Ctrl-C (or SIGTERM) stops after the current step,
saves, and exits 130 (143); a second Ctrl-C quits at once without saving.

  --out DIR               the run folder: new or empty, or this run's own with --resume or
                          --overwrite (a folder of other files is refused, untouched)
  --overwrite             replace the run in --out (its checkpoint, logs and report only)
  --data D                openmoji (default: OpenMoji's train split; resuming: the run's own),
                          openmoji:all, or a caption manifest: CSV/TSV with filepath and title
                          columns, or JSONL {"image", "text"} (paths relative to the manifest);
                          every image is decoded once before training, a bad one stops it
  --skip-bad-images       leave out (and count) the manifest rows whose image is missing or
                          does not decode, instead of stopping
  --csv-img-key K         image path column (default filepath; JSONL key: image)
  --csv-caption-key K     caption column (default title; JSONL key: text)
  --csv-separator S       field separator (default "," or a tab for .tsv; "tab" for a tab)
  --model M               a preset (${PRESET_NAMES.join(", ")}; default demo) or a model config JSON file
                          (open_clip's keys plus a "duet" block)
  --resume DIR            continue a run exactly (its folder or its checkpoint folder), with its
                          own settings and data unless given again
  --extend                with --resume: accept a new --steps/--epochs; the learning rate goes on
                          from where it is along a cosine re-fitted to the new end
  --init CKPT             start a new run from a checkpoint's weights (Duet or open_clip folder)
  --seed N                seeds weights, data order, captions (default 0)
  --steps N | --epochs X  how long (default: the preset's)
  --batch-size N          pairs per contrastive batch (default: the preset's)
  --lr X                  peak learning rate (default: the preset's)
  --warmup N              linear warmup steps, then cosine decay (default: the preset's)
  --wd X                  AdamW weight decay (default: the preset's)
  --loss clip|siglip      the loss (default clip)
  --hard-negatives        one swapped twin per caption as a hard negative (NegCLIP): an emoji's
                          skin tones or facing swapped where its annotation binds them, else the
                          order of its phrases or words; each image must rank its caption above it
  --loss-group N          the contrastive loss within groups of N pairs of the batch (N divides
                          the batch): each pair's negatives are the other N - 1 of its group, at
                          the same batch, steps and samples (the batch-size lesson's control)
  --threads N             threads (default: all cores)
  --chunk-size N          gradient caching: rows per forward pass, for batches beyond memory
  --accumulation N        contrastive batches per optimiser step (default 1)
  --minutes X             stop cleanly (and save) before X minutes of training
  --val-data D            held-out data for --eval-every: a caption manifest (read like --data)
                          or openmoji:val|test (default: OpenMoji's val split when training on
                          OpenMoji's train split); logs the validation loss, retrieval R@k and,
                          for OpenMoji, zero-shot accuracy to DIR/eval_log.jsonl
  --eval-every N          evaluate on the held-out data every N steps and at the end (default 0:
                          never)
  --checkpoint-every N    save every N steps (default 100; 0: only at the end)
  --augment               RandomResizedCrop (scale 0.9 to 1) during training
  --json                  print the result as JSON on stdout`;

/** `--model`: a preset name, or a JSON file with a model config (or open_clip's {model_cfg}). */
function modelOption(value: string): TrainClipOptions["model"] {
  if (isPresetName(value)) return value;
  if (!value.toLowerCase().endsWith(".json")) throw new UsageError(`duet train: --model must be a preset (${PRESET_NAMES.join(", ")}) or a .json model config, got "${value}"`);
  const path = existingFile("train", "model", value);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UsageError(`duet train: --model ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new UsageError(`duet train: --model ${path} must hold a JSON object`);
  const tooDeep = jsonDepthProblem(json);
  if (tooDeep !== null) throw new UsageError(`duet train: --model ${path}: the config is ${tooDeep}`);
  const object = json as Record<string, unknown>;
  const config = (object["model_cfg"] ?? object) as ModelConfigJson;
  // checked here so an error names the file (and a model too big to build is refused before the data loads)
  parseModelConfig(config, { op: "duet train --model", source: path });
  return config;
}

export const trainCommand: Command = {
  summary: "train a model on a dataset",
  usage: USAGE,
  async run(args, io) {
    const parsed = parseOrHelp("train", USAGE, args, io, {
      out: { type: "string" },
      data: { type: "string" },
      "csv-img-key": { type: "string" },
      "csv-caption-key": { type: "string" },
      "csv-separator": { type: "string" },
      model: { type: "string" },
      resume: { type: "string" },
      extend: { type: "boolean" },
      overwrite: { type: "boolean" },
      "skip-bad-images": { type: "boolean" },
      init: { type: "string" },
      seed: { type: "string" },
      steps: { type: "string" },
      epochs: { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      warmup: { type: "string" },
      wd: { type: "string" },
      loss: { type: "string" },
      "hard-negatives": { type: "boolean" },
      "loss-group": { type: "string" },
      threads: { type: "string" },
      "chunk-size": { type: "string" },
      accumulation: { type: "string" },
      minutes: { type: "string" },
      "eval-every": { type: "string" },
      "val-data": { type: "string" },
      "checkpoint-every": { type: "string" },
      augment: { type: "boolean" },
      json: { type: "boolean" },
    });
    if (parsed === undefined) return 0;
    const { values } = parsed;
    const c = "train";
    const outDir = required(c, values, "out");
    if (values["steps"] !== undefined && values["epochs"] !== undefined) throw new UsageError("duet train: give --steps or --epochs, not both");
    if (values["resume"] !== undefined && values["init"] !== undefined) throw new UsageError("duet train: give --resume (continue a run) or --init (new run from weights), not both");
    const loss = stringFlag(values, "loss");
    if (loss !== undefined && loss !== "clip" && loss !== "siglip") throw new UsageError(`duet train: --loss must be clip or siglip, got "${loss}"`);
    const resume = stringFlag(values, "resume");
    if (values["extend"] && resume === undefined) throw new UsageError("duet train: --extend lengthens a resumed run: give --resume DIR too");
    // resuming without --data: the run's own data (train_state.json); else OpenMoji by default
    const dataFlag = stringFlag(values, "data") ?? (resume === undefined ? "openmoji" : undefined);
    const spec = dataFlag === undefined ? undefined : dataSpec(c, dataFlag, "train");
    if (spec?.kind === "file") existingFile(c, "data", spec.path);
    const csv = { imgKey: stringFlag(values, "csv-img-key"), captionKey: stringFlag(values, "csv-caption-key"), separator: separatorFlag(c, stringFlag(values, "csv-separator")) };
    const skipBadImages = values["skip-bad-images"] === true;
    if (skipBadImages && spec?.kind !== "file") throw new UsageError("duet train: --skip-bad-images is for a caption manifest given with --data (OpenMoji's images are rasterised by Duet)");
    const data: TrainDataOption | undefined =
      spec === undefined ? undefined : spec.kind === "openmoji" ? { kind: "emoji", styles: spec.styles, split: spec.split } : { kind: "captions", manifest: spec.path, ...csv, ...(skipBadImages ? { skipBadImages } : {}) };
    const valFlag = stringFlag(values, "val-data");
    let valData: ValDataOption | undefined;
    if (valFlag !== undefined) {
      const valSpec = dataSpec(c, valFlag, "val");
      valData = valSpec.kind === "openmoji" ? { kind: "openmoji", split: valSpec.split, style: oneStyle(c, valSpec) } : { kind: "captions", manifest: valSpec.path, ...csv };
      // a resumed run keeps its own --eval-every
      if (values["eval-every"] === undefined && resume === undefined) throw new UsageError("duet train: --val-data needs --eval-every N (how often to evaluate)");
    }
    const init = stringFlag(values, "init");
    const modelFlag = stringFlag(values, "model");
    // a checkpoint folder that a save killed between its two renames is put back first
    if (resume !== undefined && !existsSync(resume)) restoreCheckpoint(resume, { onRestore: (line) => io.err(`duet: ${line}`) });
    const options: Omit<TrainClipOptions, "signal"> = {
      outDir,
      ...(data !== undefined ? { data } : {}),
      ...(values["extend"] ? { extend: true } : {}),
      ...(valData !== undefined ? { valData } : {}),
      ...(modelFlag !== undefined ? { model: modelOption(modelFlag) } : {}),
      ...(resume !== undefined ? { resume: existingFolder(c, "resume", resume) } : {}),
      ...(init !== undefined ? { init: existingFolder(c, "init", init) } : {}),
      seed: nonNegativeInt(c, "seed", values["seed"]),
      steps: positiveInt(c, "steps", values["steps"]),
      epochs: numberIn(c, "epochs", values["epochs"], Number.MIN_VALUE),
      batchSize: positiveInt(c, "batch-size", values["batch-size"]),
      lr: numberIn(c, "lr", values["lr"], 0),
      warmup: nonNegativeInt(c, "warmup", values["warmup"]),
      weightDecay: numberIn(c, "wd", values["wd"], 0),
      loss: loss as "clip" | "siglip" | undefined,
      threads: positiveInt(c, "threads", values["threads"]),
      chunkSize: positiveInt(c, "chunk-size", values["chunk-size"]),
      accumulation: positiveInt(c, "accumulation", values["accumulation"]),
      timeBudgetMinutes: numberIn(c, "minutes", values["minutes"], Number.MIN_VALUE),
      evalEvery: nonNegativeInt(c, "eval-every", values["eval-every"]),
      checkpointEvery: nonNegativeInt(c, "checkpoint-every", values["checkpoint-every"]),
      ...(values["augment"] ? { augment: true } : {}),
      ...(values["hard-negatives"] ? { hardNegatives: true } : {}),
      ...(values["loss-group"] === undefined ? {} : { lossGroup: positiveInt(c, "loss-group", values["loss-group"]) }),
    };
    // undefined means "the default": drop those keys so the trainer's precedence applies
    for (const key of Object.keys(options) as (keyof typeof options)[]) if (options[key] === undefined) delete options[key];
    claimRunDir(c, outDir, { resume, overwrite: values["overwrite"] === true }, io);
    const run = await trainWithProgress(options, io);
    const { result } = run;
    const summary = {
      out: result.outDir,
      checkpoint: result.checkpointDir,
      steps: result.steps,
      stopped_by: result.stoppedBy,
      final_loss: result.finalLoss,
      wall_seconds: result.wallSeconds,
      samples_per_s: result.samplesPerSecond,
      last_eval: result.lastEval,
      saved_step: result.savedStep,
      ...(run.interrupted !== null ? { interrupted_by: run.interrupted } : {}),
      run: result.run,
    };
    if (values["json"]) io.out(JSON.stringify(summary));
    else {
      io.out(`trained ${result.steps} steps in ${result.wallSeconds.toFixed(1)} s (${result.samplesPerSecond.toFixed(1)} samples/s${result.stoppedBy === "steps" ? "" : `, stopped by the ${result.stoppedBy === "time" ? "time budget" : "interrupt"}`}); final loss ${result.finalLoss?.toFixed(4) ?? "-"}`);
      if (result.lastEval) io.out(describeEval(result.lastEval));
      io.out(`checkpoint: ${result.savedStep === null ? "none written" : result.checkpointDir}`);
    }
    if (run.interrupted === null) return 0;
    io.err(describeInterrupt(run, `duet train --resume ${outDir} --out ${outDir}`));
    return exitCodeOf(run.interrupted);
  },
};
