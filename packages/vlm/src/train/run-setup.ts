/**
 * Everything a run needs before its first step: the model, its tokenizer, the data and the
 * resolved settings — from one of three starts:
 *
 *   new      a preset or a config: the data is loaded at the model's resolution; a config that
 *            names tokenizer.json gets a BPE learned from the training captions (trainBpe), and
 *            a context of "fit" is sized to them; the weights are initialised from the seed
 *   init     a checkpoint's config, tokenizer and weights; a new run otherwise (step 0)
 *   resume   a training checkpoint: config, tokenizer, weights, and train_state.json's settings
 *            and position (the optimiser's moments are restored by the trainer)
 */

import { Generator } from "@duet/tensor";
import { loadCheckpoint } from "../model/checkpoint.js";
import { CLIP, createModel } from "../model/clip.js";
import { modelConfigToJson, parseModelConfig, type ModelConfig, type ModelConfigJson } from "../model/config.js";
import type { Tokenizer } from "../tokenizer/bpe.js";
import { clipTokenizer } from "../tokenizer/clip-vocab.js";
import { fitContextLength, trainBpe } from "../tokenizer/trainer.js";
import { TrainError } from "./errors.js";
import { resolveRunConfig, type RunConfig, type TrainClipOptions } from "./options.js";
import { getPreset, isPresetName, type TrainPreset } from "./presets.js";
import { applyLossInit } from "./recipe.js";
import { resolveTrainData, type TrainData } from "./train-data.js";
import { readTrainState, resolveCheckpointDir, type TrainState } from "./train-state.js";

export interface RunSetup {
  model: CLIP;
  tokenizer: Tokenizer;
  data: TrainData;
  run: RunConfig;
  /** The checkpoint being resumed, and its state. */
  resumed: { dir: string; state: TrainState } | null;
}

const OP = "trainClip";

/** A learned BPE's size when a config names tokenizer.json without a vocab_size (CLIP's 49,408 would dwarf a small model). */
const DEFAULT_LEARNED_VOCAB = 2048;
type Log = (line: string, level?: "info" | "warn") => void;

/** The model JSON of the `model` option (a preset's, or the given config's). */
function modelJson(model: TrainClipOptions["model"]): { json: ModelConfigJson; preset: TrainPreset | null; name: string } {
  if (model === undefined || isPresetName(model)) {
    const preset = getPreset(model ?? "demo");
    return { json: preset.model, preset, name: preset.name };
  }
  if (typeof model === "string") throw new TrainError(OP, `model must be a preset ("demo", "reference"), a ModelConfig or its JSON, got ${JSON.stringify(model)}`);
  if (typeof model !== "object" || model === null) throw new TrainError(OP, "model must be a preset name, a ModelConfig or its JSON");
  // a parsed ModelConfig or plain JSON: both go through the JSON form (a deep copy)
  const json = "duet" in model && typeof (model as ModelConfig).duet?.preprocess === "object" && "text_cfg" in model && typeof (model as ModelConfig).text_cfg.norm_eps === "number"
    ? modelConfigToJson(model as ModelConfig)
    : (JSON.parse(JSON.stringify(model)) as ModelConfigJson);
  return { json, preset: null, name: "custom" };
}

function section(json: ModelConfigJson, key: string): Record<string, unknown> {
  const value = json[key];
  if (value === undefined) return (json[key] = {}) as Record<string, unknown>;
  if (typeof value !== "object" || value === null) throw new TrainError(OP, `model.${key} must be an object`);
  return value as Record<string, unknown>;
}

/** Prepares a run from the options (see the file comment). */
export async function setupRun(o: TrainClipOptions, log: Log): Promise<RunSetup> {
  const dtype = o.dtype ?? "float32";
  if (o.resume !== undefined || o.init !== undefined) return fromCheckpoint(o, log);

  const { json, preset, name } = modelJson(o.model);
  const loss = o.loss ?? (preset === null ? undefined : "clip");
  if (preset !== null && loss !== undefined) applyLossInit(json, loss);
  const draft = parseModelConfig(json, { op: OP, source: "model" });
  const { mean, std } = draft.duet.preprocess;
  const data = await resolveTrainData(o.data, draft.vision_cfg.image_size, { mean, std });
  log(`data: ${data.description}`);

  let tokenizer: Tokenizer;
  const text = section(json, "text_cfg");
  const learned = draft.duet.tokenizer === "tokenizer.json";
  if (learned) {
    const vocabSize = o.vocabSize ?? preset?.tokenizer.vocabSize ?? (text["vocab_size"] === undefined ? DEFAULT_LEARNED_VOCAB : draft.text_cfg.vocab_size);
    const t0 = performance.now();
    tokenizer = trainBpe(data.corpus(), { vocabSize });
    text["vocab_size"] = vocabSize;
    log(`tokenizer: learned a BPE of ${tokenizer.vocabSize} tokens from the training captions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } else {
    if (o.vocabSize !== undefined) throw new TrainError(OP, `vocabSize is for a learned BPE, but the model config uses CLIP's tokenizer (set duet.tokenizer to "tokenizer.json")`);
    tokenizer = clipTokenizer();
  }
  const context = o.contextLength ?? preset?.tokenizer.contextLength ?? (learned && text["context_length"] === undefined ? "fit" : draft.text_cfg.context_length);
  text["context_length"] = context === "fit" ? fitContextLength(tokenizer, data.sampleCaptions()) : context;
  if (context === "fit") log(`text context: ${String(text["context_length"])} tokens (fits 99% of the training captions)`);
  const config = parseModelConfig(json, { op: OP, source: "model" });

  const run = resolveRunConfig(o, {
    modelName: name,
    preset,
    saved: null,
    dataDescription: data.description,
    dataLength: data.length,
    loss: loss ?? config.duet.loss,
    vocabSize: config.text_cfg.vocab_size,
    contextLength: config.text_cfg.context_length,
  });
  const model = createModel(config, { dtype, generator: new Generator(run.seed) });
  model.train();
  return { model, tokenizer, data, run, resumed: null };
}

async function fromCheckpoint(o: TrainClipOptions, log: Log): Promise<RunSetup> {
  const resumeDir = o.resume === undefined ? null : resolveCheckpointDir(o.resume);
  const state = resumeDir === null ? null : readTrainState(resumeDir);
  const saved = state === null ? null : (state.config as unknown as RunConfig);
  const source = resumeDir ?? o.init!;
  if (o.model !== undefined) log(`model: ignored, the model comes from ${source}`, "warn");
  const dtype = o.dtype ?? saved?.dtype ?? "float32";
  const checkpoint = loadCheckpoint(source, { dtype });
  const { model, tokenizer, config } = checkpoint;
  const fixed = { vocabSize: config.text_cfg.vocab_size, contextLength: config.text_cfg.context_length };
  for (const key of ["vocabSize", "contextLength"] as const) {
    const given = o[key];
    if (given !== undefined && given !== "fit" && given !== fixed[key]) {
      throw new TrainError(OP, `${key} is ${fixed[key]} in ${source}; it cannot become ${given} (the model comes from the checkpoint)`);
    }
  }
  model.train();
  const { mean, std } = config.duet.preprocess;
  const data = await resolveTrainData(o.data, config.vision_cfg.image_size, { mean, std });
  log(`${resumeDir === null ? "init" : "resume"}: ${source}${state === null ? "" : ` at step ${state.step}`}; data: ${data.description}`);
  const run = resolveRunConfig(o, {
    modelName: `init:${source}`,
    preset: null,
    saved,
    dataDescription: data.description,
    dataLength: data.length,
    loss: config.duet.loss,
    vocabSize: config.text_cfg.vocab_size,
    contextLength: config.text_cfg.context_length,
  });
  if (state !== null && state.step > run.steps) throw new TrainError(OP, `resume: the checkpoint is at step ${state.step}, past the run's ${run.steps} steps`);
  return { model, tokenizer, data, run, resumed: resumeDir === null ? null : { dir: resumeDir, state: state! } };
}
