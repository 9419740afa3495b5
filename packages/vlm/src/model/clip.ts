/**
 * CLIP: an image tower and a text tower that meet on one hypersphere (open_clip model.py, CLIP).
 *
 *   imageFeatures = normalize(visual(images))             (N, embed)
 *   textFeatures  = normalize(textTower(tokens))          (M, embed)
 *   logitsPerImage = exp(logit_scale) · imageFeatures @ textFeaturesᵀ  (+ logit_bias)   (N, M)
 *   logitsPerText  = logitsPerImageᵀ                                                     (M, N)
 *
 * The state dict is named exactly as open_clip's CLIP: the image tower under `visual.`, the
 * text tower's parts at the top level (`transformer.`, `token_embedding.`, `positional_embedding`,
 * `ln_final.`, `text_projection`), then `logit_scale` (and `logit_bias` for SigLIP). As in
 * open_clip, CLIP takes the text tower's parts as its own: the TextTransformer object still
 * runs them, but it is not a child, so no `text.` prefix appears.
 *
 * logit_scale holds ln(1/τ): exp(logit_scale) is the inverse temperature multiplying the
 * cosine similarities. It starts at ln(1/0.07) ≈ 2.659 and is clamped to [0, ln 100] after
 * every optimiser step by `clampLogitScale` — see there for why.
 */

import * as A from "@duet/autograd";
import { Module } from "@duet/nn";
import type { BuildOptions } from "./projection.js";
import { full, Tensor } from "@duet/tensor";
import { buildConvImageTower } from "./cnn-tower.js";
import { CoCa } from "./coca.js";
import { assertModelConfig, type ModelConfig } from "./config.js";
import { buildTextTransformer, TextTransformer } from "./text-transformer.js";
import { buildVisionTransformer, type ImageTower } from "./vision-transformer.js";

/**
 * The largest logit scale, ln(100) = 4.6052: a temperature below 0.01. The CLIP paper clips
 * here "to prevent scaling the logits by more than 100, which we found necessary to prevent
 * training instability": left free, the scale grows until the softmax saturates, gradients
 * vanish for all but the hardest pairs and the loss diverges.
 */
export const MAX_LOGIT_SCALE = Math.log(100);

export interface EncodeOptions {
  /** L2-normalise the features (open_clip's `normalize=True`). Default false, as open_clip. */
  normalize?: boolean;
}

export interface ClipOutput {
  /** L2-normalised image features (N, embed). */
  imageFeatures: A.Variable;
  /** L2-normalised text features (M, embed). */
  textFeatures: A.Variable;
  /** exp(logit_scale): the multiplier of the cosine similarities (a 0-d or [1] Variable). */
  logitScale: A.Variable;
  /** logit_bias, for SigLIP models; null otherwise. */
  logitBias: A.Variable | null;
}

export interface ClipLogits {
  logitsPerImage: A.Variable;
  logitsPerText: A.Variable;
}

/**
 * The contrastive logits of a CLIP or a CoCa, from features already normalised:
 * logitsPerImage = scale · I @ Tᵀ (+ bias), in open_clip's order of operations ((scale · I) @ Tᵀ),
 * and logitsPerText its transpose.
 */
export function contrastiveLogits(scale: A.Variable, bias: A.Variable | null, imageFeatures: A.Input, textFeatures: A.Input): ClipLogits {
  let logitsPerImage = A.matmul(A.mul(scale, imageFeatures), A.transpose(textFeatures));
  if (bias) logitsPerImage = A.add(logitsPerImage, bias);
  return { logitsPerImage, logitsPerText: A.transpose(logitsPerImage) };
}

export class CLIP extends Module {
  readonly config: ModelConfig;
  readonly visual: ImageTower;
  /** Runs the text parts; its parameters are registered on this model at the top level. */
  readonly textTower: TextTransformer;

  constructor(config: ModelConfig, options: BuildOptions = {}) {
    super();
    assertModelConfig("CLIP", config);
    this.config = config;
    const layer = { dtype: options.dtype, generator: options.generator, initialize: options.initialize };
    this.visual = this.registerModule("visual", config.duet.image_tower === "cnn" ? buildConvImageTower(config, layer) : buildVisionTransformer(config, layer));
    const text = buildTextTransformer(config, layer);
    this.textTower = text;
    // open_clip's CLIP.__init__ order: transformer, token_embedding, positional_embedding, ln_final, text_projection
    this.registerModule("transformer", text.transformer);
    this.registerModule("token_embedding", text.child("token_embedding"));
    this.registerParameter("positional_embedding", text.param("positional_embedding"));
    this.registerModule("ln_final", text.child("ln_final"));
    if (text.hasParam("text_projection")) this.registerParameter("text_projection", text.param("text_projection"));
    else if (text.hasChild("text_projection")) this.registerModule("text_projection", text.child("text_projection"));
    const shape = config.nonscalar_logit_scale ? [1] : [];
    const dtype = options.dtype ?? "float32";
    this.registerParameter("logit_scale", full(shape, config.init_logit_scale, { dtype }));
    if (config.init_logit_bias !== null) this.registerParameter("logit_bias", full(shape, config.init_logit_bias, { dtype }));
  }

  /** ln(1/τ), the learned parameter. */
  get logitScale(): A.Variable {
    return this.param("logit_scale");
  }

  get logitBias(): A.Variable | null {
    return this.hasParam("logit_bias") ? this.param("logit_bias") : null;
  }

  /** images (N, 3, S, S) float -> (N, embed). */
  encodeImage(images: A.Input, options: EncodeOptions = {}): A.Variable {
    const features = this.visual.forward(images);
    return options.normalize ? A.l2Normalize(features, -1) : features;
  }

  /** tokens int32 (M, L) -> (M, embed). */
  encodeText(tokens: A.Input, options: EncodeOptions = {}): A.Variable {
    const features = this.textTower.forward(tokens);
    return options.normalize ? A.l2Normalize(features, -1) : features;
  }

  /** exp(logit_scale), on the graph (its gradient reaches logit_scale). */
  logitScaleExp(): A.Variable {
    return A.exp(this.logitScale);
  }

  /**
   * Logits both ways from features already normalised:
   * logitsPerImage = exp(logit_scale) · I @ Tᵀ (+ logit_bias), logitsPerText its transpose.
   */
  logits(imageFeatures: A.Input, textFeatures: A.Input): ClipLogits {
    return contrastiveLogits(this.logitScaleExp(), this.logitBias, imageFeatures, textFeatures);
  }

  /** open_clip's `get_logits(image, text)`: encode both, normalised, then `logits`. */
  getLogits(images: A.Input, tokens: A.Input): ClipLogits {
    return this.logits(this.encodeImage(images, { normalize: true }), this.encodeText(tokens, { normalize: true }));
  }

  /** open_clip's `forward(image, text)`: normalised features and exp(logit_scale), for a loss. */
  forward(images: A.Input, tokens: A.Input): ClipOutput {
    return {
      imageFeatures: this.encodeImage(images, { normalize: true }),
      textFeatures: this.encodeText(tokens, { normalize: true }),
      logitScale: this.logitScaleExp(),
      logitBias: this.logitBias,
    };
  }

  /**
   * The one place the temperature is clamped: logit_scale ← clamp(logit_scale, 0, ln 100),
   * in place, after every optimiser step (open_clip_train does it under no_grad right after
   * `optimizer.step()`). See MAX_LOGIT_SCALE for why. Returns the value after clamping.
   */
  clampLogitScale(): number {
    return clampLogitScaleInPlace(this.logitScale.value);
  }
}

/** Clamps a logit-scale tensor's storage into [0, ln 100]; returns its (first) value. */
export function clampLogitScaleInPlace(value: Tensor): number {
  const data = value.data;
  for (let i = 0; i < data.length; i++) data[i] = Math.min(Math.max(data[i]!, 0), MAX_LOGIT_SCALE);
  return data[0]!;
}

/**
 * A model for a parsed config, initialised as open_clip initialises it (Duet's random streams):
 * a CoCa when the config has multimodal_cfg (it has CLIP's surface; isCoCa tells them apart).
 */
export function createModel(config: ModelConfig, options: BuildOptions = {}): CLIP {
  assertModelConfig("createModel", config);
  return config.multimodal_cfg ? new CoCa(config, options) : new CLIP(config, options);
}
