/**
 * A bench preset's model as the trainer builds it, shared by `pnpm bench:train` and
 * `pnpm bench:profile`.
 */

import { fitContextLength, getPreset, modelConfigToJson, parseModelConfig, resolveTrainData, trainBpe, type ModelConfigJson } from "@duet/vlm";
import type { PresetName } from "@duet/vlm";

/** A preset's model config as trainClip builds it: a "fit" text context is sized to OpenMoji's training captions, as `duet demo` does. */
export async function presetModel(name: PresetName): Promise<{ json: ModelConfigJson; lr: number; weightDecay: number; gradClipNorm: number | null; batch: number; description: string }> {
  const preset = getPreset(name);
  const json = preset.model;
  const text = (json["text_cfg"] ?? {}) as Record<string, unknown>;
  text["vocab_size"] = preset.tokenizer.vocabSize;
  if (preset.tokenizer.contextLength === "fit") {
    const draft = parseModelConfig(json);
    const data = await resolveTrainData(undefined, draft.vision_cfg.image_size, draft.duet.preprocess);
    text["context_length"] = fitContextLength(trainBpe(data.corpus(), { vocabSize: preset.tokenizer.vocabSize }), data.sampleCaptions());
  } else text["context_length"] = preset.tokenizer.contextLength;
  json["text_cfg"] = text;
  const { lr, weightDecay, gradClipNorm, batchSize: batch } = preset.training;
  return { json: modelConfigToJson(parseModelConfig(json)), lr, weightDecay, gradClipNorm, batch, description: preset.description };
}
