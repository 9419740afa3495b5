/**
 * Everything a run needs before its first step: the model, its tokenizer, the data and the
 * resolved settings — from one of three starts:
 *
 *   new      a preset or a config: the data is loaded at the model's resolution; a config that
 *            names tokenizer.json gets a BPE learned from the training captions (trainBpe), and
 *            a context of "fit" is sized to them; the weights are initialised from the seed
 *   init     a checkpoint's config, tokenizer and weights; a new run otherwise (step 0)
 *   resume   a training checkpoint: config, tokenizer, weights, and train_state.json's settings
 *            and position (the optimiser's moments are restored by the trainer); the data and
 *            held-out data are the run's own unless given again (options.ts)
 */

import { resolve } from "node:path";
import { Generator } from "@duet/tensor";
import type { NormalizeOptions } from "../image/normalize.js";
import { loadCheckpoint } from "../model/checkpoint.js";
import { CLIP, createModel } from "../model/clip.js";
import { modelConfigToJson, parseModelConfig, type ModelConfig, type ModelConfigJson } from "../model/config.js";
import type { Tokenizer } from "../tokenizer/bpe.js";
import { clipTokenizer } from "../tokenizer/clip-vocab.js";
import { fitContextLength, trainBpe } from "../tokenizer/trainer.js";
import { TrainError } from "./errors.js";
import { describeExtension, describeValData, resolveRunConfig, type RunConfig, type TrainClipOptions, type TrainHooks } from "./options.js";
import { getPreset, isPresetName, PRESET_NAMES, type TrainPreset } from "./presets.js";
import { applyLossInit } from "./recipe.js";
import { dataSpec, resolveTrainData, type TrainData, type TrainDataOption } from "./train-data.js";
import { readTrainState, resolveCheckpointDir, type TrainState } from "./train-state.js";
import type { ValDataOption } from "./validation.js";

export interface RunSetup {
  model: CLIP;
  tokenizer: Tokenizer;
  data: TrainData;
  run: RunConfig;
  /** The checkpoint being resumed, and its state. */
  resumed: { dir: string; state: TrainState } | null;
  /** The held-out data: the option, else a resumed run's. */
  valData: ValDataOption | undefined;
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
  if (typeof model === "string") throw new TrainError(OP, `model must be a preset (${PRESET_NAMES.map((n) => JSON.stringify(n)).join(", ")}), a ModelConfig or its JSON, got ${JSON.stringify(model)}`);
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

/**
 * A CoCa's decoder follows the text it reads: a multimodal_cfg without context_length or
 * vocab_size takes the text tower's (open_clip's CoCa configs give both the same values), so
 * a fitted context and a learned vocabulary reach the decoder too.
 */
function fitMultimodal(json: ModelConfigJson, text: Record<string, unknown>): void {
  if (json["multimodal_cfg"] === undefined || json["multimodal_cfg"] === null) return;
  const multimodal = section(json, "multimodal_cfg");
  multimodal["context_length"] ??= text["context_length"];
  if (text["vocab_size"] !== undefined) multimodal["vocab_size"] ??= text["vocab_size"];
}

/** Loads the data (checking a manifest's images first) and logs what it is. */
async function loadData(option: TrainDataOption | undefined, imageSize: number, normalize: NormalizeOptions, log: Log, hooks: TrainHooks): Promise<TrainData> {
  const data = await resolveTrainData(option, imageSize, { mean: normalize.mean, std: normalize.std }, { onProgress: hooks.onProgress });
  const skipped = data.skipped ?? [];
  if (skipped.length > 0) log(`data: skipped ${skipped.length} row${skipped.length === 1 ? "" : "s"} whose image cannot be used: ${skipped.slice(0, 5).map((b) => `line ${b.line}: ${b.image} (${b.problem})`).join("; ")}${skipped.length > 5 ? ", …" : ""}`, "warn");
  return data;
}

/** Prepares a run from the options (see the file comment). */
export async function setupRun(o: TrainClipOptions, log: Log, hooks: TrainHooks = {}): Promise<RunSetup> {
  const dtype = o.dtype ?? "float32";
  if (o.resume !== undefined || o.init !== undefined) return fromCheckpoint(o, log, hooks);

  const { json, preset, name } = modelJson(o.model);
  const loss = o.loss ?? (preset === null ? undefined : "clip");
  if (preset !== null && loss !== undefined) applyLossInit(json, loss);
  const draft = parseModelConfig(json, { op: OP, source: "model" });
  const data = await loadData(o.data, draft.vision_cfg.image_size, draft.duet.preprocess, log, hooks);
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
  fitMultimodal(json, text);
  const config = parseModelConfig(json, { op: OP, source: "model" });
  const multimodal = config.multimodal_cfg;
  if (multimodal !== null && multimodal.context_length < config.text_cfg.context_length - 1) {
    // caught here rather than at the first step's forward
    throw new TrainError(OP, `model.multimodal_cfg.context_length (${multimodal.context_length}) must be at least the text context minus one (${config.text_cfg.context_length - 1}): the decoder reads every caption token but the last; leave it out to follow the text's`);
  }

  const run = resolveRunConfig(o, {
    modelName: name,
    preset,
    saved: null,
    dataDescription: data.description,
    dataSpec: dataSpec(o.data),
    valDataSpec: valDataSpec(o.valData),
    dataLength: data.length,
    loss: loss ?? config.duet.loss,
    vocabSize: config.text_cfg.vocab_size,
    contextLength: config.text_cfg.context_length,
  });
  const model = createModel(config, { dtype, generator: new Generator(run.seed) });
  model.train();
  return { model, tokenizer, data, run, resumed: null, valData: o.valData };
}

/** The saved form of a valData option (a manifest by its absolute path). */
function valDataSpec(option: ValDataOption | undefined): ValDataOption | null {
  if (option === undefined) return null;
  return option.kind === "captions" ? { ...option, manifest: resolve(option.manifest) } : { ...option };
}

/** The data of a resumed run: as given, else the run's own (from its saved spec). */
function resumedData(o: TrainClipOptions, saved: RunConfig | null, source: string): TrainDataOption | undefined {
  if (saved === null || o.data !== undefined) return o.data;
  if (saved.dataSpec === undefined || saved.dataSpec === null) {
    throw new TrainError(OP, `resume: ${source} trained on ${saved.data}, which its train_state.json cannot load again (data held in memory, or a run older than this Duet): give the data again`);
  }
  return saved.dataSpec as TrainDataOption;
}

async function fromCheckpoint(o: TrainClipOptions, log: Log, hooks: TrainHooks): Promise<RunSetup> {
  const resumeDir = o.resume === undefined ? null : resolveCheckpointDir(o.resume, (line) => log(line, "warn"));
  const state = resumeDir === null ? null : readTrainState(resumeDir);
  const saved = state === null ? null : (state.config as unknown as RunConfig);
  const source = resumeDir ?? o.init!;
  if (o.model !== undefined) log(`model: ignored, the model comes from ${source}`, "warn");
  const dtype = o.dtype ?? saved?.dtype ?? "float32";
  const checkpoint = loadCheckpoint(source, { dtype, onRestore: (line) => log(line, "warn") });
  const { model, tokenizer, config } = checkpoint;
  const fixed = { vocabSize: config.text_cfg.vocab_size, contextLength: config.text_cfg.context_length };
  for (const key of ["vocabSize", "contextLength"] as const) {
    const given = o[key];
    if (given !== undefined && given !== "fit" && given !== fixed[key]) {
      throw new TrainError(OP, `${key} is ${fixed[key]} in ${source}; it cannot become ${given} (the model comes from the checkpoint)`);
    }
  }
  model.train();
  const dataOption = resumedData(o, saved, source);
  const data = await loadData(dataOption, config.vision_cfg.image_size, config.duet.preprocess, log, hooks);
  log(`${resumeDir === null ? "init" : "resume"}: ${source}${state === null ? "" : ` at step ${state.step}`}; data: ${data.description}`);
  if (saved !== null && o.data !== undefined && saved.data !== data.description) log(`resume: the run trained on ${saved.data}; it continues on ${data.description}`, "warn");
  const run = resolveRunConfig(o, {
    modelName: `init:${source}`,
    preset: null,
    saved,
    resumedStep: state?.step ?? 0,
    dataDescription: data.description,
    dataSpec: saved !== null && o.data === undefined ? (saved.dataSpec ?? null) : dataSpec(o.data),
    valDataSpec: valDataSpec(o.valData),
    dataLength: data.length,
    loss: config.duet.loss,
    vocabSize: config.text_cfg.vocab_size,
    contextLength: config.text_cfg.context_length,
  });
  if (saved !== null && state !== null) {
    const kept = (["evalEvery", "checkpointEvery", "threads", "chunkSize", "timeBudgetMinutes"] as const).map((key) => `${key} ${JSON.stringify(run[key])}`);
    log(`resume: step ${state.step} of ${run.steps}; the run's settings (${kept.join(", ")}${run.valData === null ? "" : `, valData ${run.valData}`}) unless given again`);
    const extension = describeExtension(saved, run, state.step);
    if (extension !== null) log(extension);
  }
  const valData = o.valData ?? (run.valDataSpec === null ? undefined : run.valDataSpec);
  if (o.valData === undefined && valData !== undefined) log(`resume: evaluating on the run's held-out data, ${describeValData(valData)}`);
  return { model, tokenizer, data, run, resumed: resumeDir === null ? null : { dir: resumeDir, state: state! }, valData };
}
