/**
 * Presets: a model config and the training hyperparameters that go with it, by name.
 *
 *   "demo"       the default model of `duet demo`: trains on OpenMoji in a few minutes on a
 *                2-core laptop and learns as much as it can in that time (numbers in the
 *                comment below and in the training issue's closing note)
 *   "reference"  the anchor model of the training issue, timed against PyTorch:
 *                image 32×32, patch 4, ViT width 128, 4 layers, 4 heads; text context 32,
 *                vocabulary 4096, width 128, 4 layers, 4 heads; embed 128; batch 128; AdamW
 *
 * Both learn their own small BPE vocabulary from the training captions (trainBpe): CLIP's
 * 49,408-row embedding table would be most of such a model, and OpenMoji's captions use a
 * few thousand distinct words. `contextLength: "fit"` sizes the text context to the captions
 * (the 99th percentile of their token counts), so no compute goes to padding.
 */

import type { ModelConfigJson } from "../model/config.js";

export type PresetName = "demo" | "reference";

export const PRESET_NAMES: readonly PresetName[] = ["demo", "reference"];

export interface PresetTokenizer {
  /** Ids of the learned BPE (the 512 byte symbols, the merges, 2 special tokens). */
  readonly vocabSize: number;
  /** Fixed, or "fit" to the training captions. */
  readonly contextLength: number | "fit";
}

/** The training defaults a preset brings; every one can be overridden by an option. */
export interface PresetTraining {
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly warmup: number;
  readonly weightDecay: number;
  readonly gradClipNorm: number | null;
}

export interface TrainPreset {
  readonly name: PresetName;
  readonly description: string;
  /** open_clip's config keys plus Duet's block; vocab_size and context_length come from `tokenizer`. */
  readonly model: ModelConfigJson;
  readonly tokenizer: PresetTokenizer;
  readonly training: PresetTraining;
}

/**
 * The demo model. Chosen by short measured runs on OpenMoji (2 shared cores; see the issue's
 * closing note for the table): a small ViT on 32-px emojis with 8-px patches (16 patches + the
 * class token), a 2-layer text tower over a 2K BPE, and the largest contrastive batch that
 * keeps enough steps in the time budget — in-batch negatives are the only negatives.
 */
const DEMO: TrainPreset = {
  name: "demo",
  description: "the default demo model: ViT 32px/8, width 96, 3 layers; text width 96, 2 layers; embed 96",
  model: {
    embed_dim: 96,
    vision_cfg: { image_size: 32, patch_size: 8, width: 96, layers: 3, head_width: 32 },
    text_cfg: { width: 96, heads: 3, layers: 2 },
    duet: { tokenizer: "tokenizer.json" },
  },
  tokenizer: { vocabSize: 2048, contextLength: "fit" },
  training: { steps: 400, batchSize: 256, lr: 2e-3, warmup: 40, weightDecay: 0.1, gradClipNorm: 1 },
};

/** The anchor model of the training issue (its speed target: ≤ 6 s per step on two threads). */
const REFERENCE: TrainPreset = {
  name: "reference",
  description: "the issue's anchor model: ViT 32px/4, width 128, 4 layers, 4 heads; text 32 tokens, 4096 vocab, width 128, 4 layers; embed 128",
  model: {
    embed_dim: 128,
    vision_cfg: { image_size: 32, patch_size: 4, width: 128, layers: 4, head_width: 32 },
    text_cfg: { context_length: 32, vocab_size: 4096, width: 128, heads: 4, layers: 4 },
    duet: { tokenizer: "tokenizer.json" },
  },
  tokenizer: { vocabSize: 4096, contextLength: 32 },
  training: { steps: 1000, batchSize: 128, lr: 5e-4, warmup: 100, weightDecay: 0.1, gradClipNorm: 1 },
};

export const PRESETS: Readonly<Record<PresetName, TrainPreset>> = { demo: DEMO, reference: REFERENCE };

export function isPresetName(name: unknown): name is PresetName {
  return typeof name === "string" && (PRESET_NAMES as readonly string[]).includes(name);
}

/** A preset by name, as a deep copy (callers may change it). */
export function getPreset(name: PresetName): TrainPreset {
  return JSON.parse(JSON.stringify(PRESETS[name])) as TrainPreset;
}
