/**
 * Training the small default model in a browser: the demo preset (train/presets.ts) on
 * OpenMoji's training split, one contrastive step at a time, so the page can draw the loss,
 * the logit scale and a similarity matrix between steps and pause whenever it likes.
 *
 * The step is the CLI trainer's own (train/step.ts: TrainingStep on a one-shard StepEngine),
 * with the recipe built the same way (train/recipe.ts): the same optimiser, schedule,
 * clipping, logit-scale clamp, NaN guard and losses (InfoNCE or SigLIP). What differs is only
 * around it: the batches come from the server's rasters instead of the DataLoader, and no
 * checkpoint is written to disk (the page offers one for download).
 *
 *   tokenizer   trainBpe on the captions' words (annotation, "an emoji of ...", the tags),
 *               the preset's vocabulary size; the text context fits 99% of sampled captions
 *   model       createModel(preset config), seeded
 *
 * The kernels still use every core: the engine worker's pool splits each matmul.
 */

import { noGrad } from "@duet/autograd";
import { Generator, matmul, stack, type Tensor } from "@duet/tensor";
import { OpenMojiCaptioner } from "../../data/openmoji/captions.js";
import type { OpenMojiItem } from "../../data/openmoji/metadata.js";
import { imageToTensor } from "../../image/normalize.js";
import { rgbImage } from "../../image/image.js";
import type { LossKind } from "../../loss/model-loss.js";
import { createModel, type CLIP } from "../../model/clip.js";
import { parseModelConfig } from "../../model/config.js";
import type { BpeTokenizer } from "../../tokenizer/bpe.js";
import { fitContextLength, trainBpe } from "../../tokenizer/trainer.js";
import { getPreset } from "../../train/presets.js";
import { applyLossInit, recipeDefaults, type Recipe } from "../../train/recipe.js";
import { StepEngine } from "../../train/step-engine.js";
import { TrainingStep, type StepBatch } from "../../train/step.js";
import { checkpointToFiles } from "../checkpoint.js";

/** Image size of the demo preset: the resolution of the rasters the Train tab needs. */
export const DEMO_RESOLUTION = (getPreset("demo").model["vision_cfg"] as { image_size: number }).image_size;

/** An emoji as the server lists it: OpenMoji's metadata and its split. */
export type ServedEmoji = OpenMojiItem & { split: "train" | "val" | "test" };

export interface TrainSettings {
  batchSize: number;
  lr: number;
  warmup: number;
  /** Length of the cosine schedule (training may stop earlier, or go on at the last rate). */
  steps: number;
  weightDecay: number;
  gradClipNorm: number | null;
  loss: LossKind;
  seed: number;
  /** Rows of the fixed batch whose similarity matrix the page draws. */
  heatmapSize: number;
}

/** The demo preset's recipe (the CLI's defaults for it), with a batch a browser steps through in about a second. */
export function defaultTrainSettings(): TrainSettings {
  const recipe = recipeDefaults(getPreset("demo").training);
  return { batchSize: 64, lr: recipe.lr, warmup: 10, steps: recipe.steps, weightDecay: recipe.weightDecay, gradClipNorm: recipe.gradClipNorm, loss: recipe.loss, seed: 0, heatmapSize: 12 };
}

/** The trainer's recipe for the page's settings. */
export function recipeOf(settings: TrainSettings): Recipe {
  const { lr, warmup, steps, weightDecay, gradClipNorm, loss } = settings;
  return { ...recipeDefaults(getPreset("demo").training), lr, warmup, steps, weightDecay, gradClipNorm, loss };
}

export interface StepReport {
  step: number;
  loss: number;
  /** exp(logit_scale): the inverse temperature. */
  logitScale: number;
  lr: number;
  ms: number;
  /** false: the loss or gradient was NaN or Inf and the step changed nothing. */
  finite: boolean;
  /** Non-finite steps in a row; at the recipe's nanPatience (gaveUp) the page stops training. */
  nanStreak: number;
  gaveUp: boolean;
}

export interface Heatmap {
  /** Row-major (n, n) cosine similarities: image i against caption j. */
  values: number[];
  n: number;
  captions: string[];
  hexcodes: string[];
}

export class BrowserTrainer {
  step = 0;
  readonly model: CLIP;
  readonly tokenizer: BpeTokenizer;
  readonly stepper: TrainingStep;
  private readonly captioner: OpenMojiCaptioner;
  private readonly generator: Generator;
  private readonly train: ServedEmoji[];
  private readonly rows: Map<string, number>;
  private order: number[] = [];
  private cursor = 0;
  private readonly fixed: { images: Tensor; tokens: Tensor; captions: string[]; hexcodes: string[] };

  /**
   * `items`: every emoji (the server's /openmoji/meta.json); `pixels`: their RGB rasters at
   * `resolution`, emoji after emoji, in the same order.
   */
  constructor(
    items: readonly ServedEmoji[],
    private readonly pixels: Uint8Array,
    private readonly resolution: number,
    readonly settings: TrainSettings,
  ) {
    const preset = getPreset("demo");
    this.rows = new Map(items.map((item, row) => [item.hexcode, row]));
    this.train = items.filter((item) => item.split === "train");
    if (this.train.length < settings.batchSize) throw new Error(`batch size ${settings.batchSize} is larger than the training split (${this.train.length} emojis)`);
    this.captioner = new OpenMojiCaptioner(items);
    this.generator = new Generator(settings.seed);
    const corpus = this.train.flatMap((item) => [item.annotation, `an emoji of ${item.annotation}`, ...this.captioner.tagPool(item)]);
    this.tokenizer = trainBpe(corpus, { vocabSize: preset.tokenizer.vocabSize });
    const captionGenerator = new Generator(settings.seed + 1);
    const sampled = this.train.flatMap((item) => [0, 1, 2, 3].map(() => this.captioner.sample(item, captionGenerator)));
    const json = applyLossInit(preset.model, settings.loss) as Record<string, Record<string, unknown>>;
    json["vision_cfg"]!["image_size"] = resolution;
    json["text_cfg"]!["vocab_size"] = this.tokenizer.vocabSize;
    json["text_cfg"]!["context_length"] = preset.tokenizer.contextLength === "fit" ? fitContextLength(this.tokenizer, sampled) : preset.tokenizer.contextLength;
    const config = parseModelConfig(json, { source: "the demo preset" });
    this.model = createModel(config, { generator: new Generator(settings.seed) });
    this.model.train();
    this.stepper = new TrainingStep(this.model, new StepEngine(this.model, { shards: 1, chunkSize: null, loss: settings.loss }), recipeOf(settings));
    // the heatmap's batch: base emojis (no skin-tone variants) spread evenly over the split,
    // so over its groups, each with its plain annotation
    const bases = this.train.filter((item) => item.skintone === "");
    const stride = Math.max(1, Math.floor(bases.length / settings.heatmapSize));
    const shown = Array.from({ length: Math.min(settings.heatmapSize, bases.length) }, (_, i) => bases[i * stride]!);
    this.fixed = {
      images: stack(shown.map((item) => this.imageOf(item))),
      tokens: this.tokenize(shown.map((item) => item.annotation)),
      captions: shown.map((item) => item.annotation),
      hexcodes: shown.map((item) => item.hexcode),
    };
  }

  private imageOf(item: ServedEmoji): Tensor {
    const bytes = this.resolution * this.resolution * 3;
    const row = this.rows.get(item.hexcode)!;
    const { mean, std } = this.model.config.duet.preprocess;
    return imageToTensor(rgbImage(this.resolution, this.resolution, this.pixels.subarray(row * bytes, (row + 1) * bytes)), { mean, std });
  }

  private tokenize(captions: readonly string[]): Tensor {
    return this.tokenizer.tokenize(captions, this.model.config.text_cfg.context_length);
  }

  /** The next batch: the split reshuffled each epoch, a fresh caption for every draw. */
  nextBatch(): StepBatch {
    const n = this.settings.batchSize;
    if (this.cursor + n > this.order.length) {
      this.order = Array.from(this.train.keys());
      for (let i = this.order.length - 1; i > 0; i--) {
        const j = this.generator.nextInt(i + 1);
        [this.order[i], this.order[j]] = [this.order[j]!, this.order[i]!];
      }
      this.cursor = 0;
    }
    const picked = this.order.slice(this.cursor, this.cursor + n).map((k) => this.train[k]!);
    this.cursor += n;
    return {
      images: stack(picked.map((item) => this.imageOf(item))),
      tokens: this.tokenize(picked.map((item) => this.captioner.sample(item, this.generator))),
      samples: n,
      seed: this.step,
    };
  }

  /** One optimiser step of the trainer's recipe, on `batch` (default: the next one). */
  async runStep(batch: StepBatch = this.nextBatch()): Promise<StepReport> {
    const started = performance.now();
    const outcome = await this.stepper.run(this.step, () => batch);
    this.step++;
    const logitScale = Math.exp(this.model.logitScale.value.contiguousData()[0]!);
    return { step: this.step, loss: outcome.loss, logitScale, lr: outcome.lr, ms: performance.now() - started, finite: outcome.finite, nanStreak: outcome.nanStreak, gaveUp: outcome.gaveUp };
  }

  /** Cosine similarities of the fixed batch's images and captions. */
  heatmap(): Heatmap {
    const values = noGrad(() => {
      const image = this.model.encodeImage(this.fixed.images, { normalize: true }).value;
      const text = this.model.encodeText(this.fixed.tokens, { normalize: true }).value;
      return matmul(image, text.transpose()).contiguousData();
    });
    return { values: Array.from(values), n: this.fixed.captions.length, captions: this.fixed.captions, hexcodes: this.fixed.hexcodes };
  }

  /** The model as a checkpoint folder's files (config.json, model.safetensors, tokenizer.json). */
  files(): Map<string, Uint8Array> {
    return checkpointToFiles(this.model, this.tokenizer);
  }
}
