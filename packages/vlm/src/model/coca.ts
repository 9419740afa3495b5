/**
 * CoCa (Yu et al. 2022; open_clip coca_model.py): CLIP's two towers and contrastive loss, plus a
 * text decoder that cross-attends to the image's tokens and is trained to write the caption.
 * One model that retrieves, classifies and describes.
 *
 *   images (N, 3, S, S) -> visual -> imageFeatures (N, embed), imageTokens (N, Q-1, width)
 *   tokens (N, L)       -> text   -> textFeatures (N, embed) at the appended class token,
 *                                    textTokens (N, L, width) before ln_final
 *   logits = text_decoder(imageTokens, textTokens[:, :-1])      (N, L-1, vocab)
 *   labels = tokens[:, 1:]:  logits[:, t] predicts token t + 1 (teacher forcing)
 *
 * The state dict is open_clip's CoCa: `text.*` (the text tower as a child, with `text.cls_emb`:
 * unlike CLIP, CoCa keeps the tower's own names), `visual.*` (with `visual.attn_pool.*`),
 * `text_decoder.*` (resblocks, cross_attn, ln_final, text_projection), `logit_scale`
 * (and `logit_bias` when init_logit_bias is set).
 *
 * A CoCa has CLIP's whole public surface (encodeImage, encodeText, logits, forward's features,
 * clampLogitScale, ...): `createModel` returns one for a config with multimodal_cfg, and the
 * code written for CLIP (embedding, zero-shot, retrieval, checkpoints) runs on it unchanged.
 * The captioning parts: `forward(...).logits`, `encodeImageWithTokens`, `decoderLogits`.
 */

import * as A from "@duet/autograd";
import { Module } from "@duet/nn";
import { full, type Tensor } from "@duet/tensor";
import { clampLogitScaleInPlace, contrastiveLogits, type CLIP, type ClipLogits, type ClipOutput, type EncodeOptions } from "./clip.js";
import { assertModelConfig, type ModelConfig } from "./config.js";
import { ModelError } from "./errors.js";
import type { BuildOptions } from "./projection.js";
import { buildTextDecoder, type MultimodalTransformer } from "./text-decoder.js";
import { buildTextTransformer, type TextTransformer } from "./text-transformer.js";
import { buildVisionTransformer, type ImageEncoding, type VisionTransformer } from "./vision-transformer.js";

export interface CocaOutput extends ClipOutput {
  /** The decoder's logits for tokens[:, :-1]: (N, L-1, vocab); row t predicts tokens[:, t+1]. */
  logits: A.Variable;
  /** tokens[:, 1:], int32 (N, L-1): what the logits should predict (pad_id where there is nothing). */
  labels: Tensor;
}

export class CoCa extends Module {
  readonly config: ModelConfig;
  readonly visual: VisionTransformer;
  /** The text tower, registered as `text`. */
  readonly textTower: TextTransformer;
  /** The multimodal text decoder, registered as `text_decoder`. */
  readonly textDecoder: MultimodalTransformer;

  constructor(config: ModelConfig, options: BuildOptions = {}) {
    super();
    assertModelConfig("CoCa", config);
    if (config.multimodal_cfg === null) throw new ModelError("CoCa", "the config has no multimodal_cfg: it describes a CLIP (use createModel or new CLIP)");
    this.config = config;
    const layer = { dtype: options.dtype, generator: options.generator, initialize: options.initialize };
    // open_clip's CoCa.__init__ order: text, visual, text_decoder, logit_scale (, logit_bias)
    this.textTower = this.registerModule("text", buildTextTransformer(config, layer));
    this.visual = this.registerModule("visual", buildVisionTransformer(config, layer));
    this.textDecoder = this.registerModule("text_decoder", buildTextDecoder(config, layer));
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

  /** The id that pads a caption (text_cfg.pad_id): the captioning loss ignores it. */
  get padId(): number {
    return this.config.text_cfg.pad_id;
  }

  /** images (N, 3, S, S) -> (N, embed). */
  encodeImage(images: A.Input, options: EncodeOptions = {}): A.Variable {
    const features = this.visual.forward(images);
    return options.normalize ? A.l2Normalize(features, -1) : features;
  }

  /** tokens int32 (M, L) -> (M, embed), the features at the appended class token. */
  encodeText(tokens: A.Input, options: EncodeOptions = {}): A.Variable {
    const features = this.textTower.forward(tokens);
    return options.normalize ? A.l2Normalize(features, -1) : features;
  }

  /** The image features and the image tokens the decoder attends to (open_clip's `_encode_image`). */
  encodeImageWithTokens(images: A.Input, options: EncodeOptions = {}): ImageEncoding {
    const { features, tokens } = this.visual.encodeWithTokens(images);
    return { features: options.normalize ? A.l2Normalize(features, -1) : features, tokens };
  }

  /**
   * The decoder's logits for a token prefix: tokens int32 (N, T) with T ≤ text_cfg.context_length,
   * imageTokens (N, Q-1, width) from encodeImageWithTokens -> (N, T, vocab); row t scores the
   * token after tokens[:, t]. Greedy decoding reads row T-1 (see greedyCaption).
   */
  decoderLogits(imageTokens: A.Input, tokens: A.Input): A.Variable {
    return this.textDecoder.forward(imageTokens, this.textTower.encodeWithTokens(tokens).tokens);
  }

  /** exp(logit_scale), on the graph (its gradient reaches logit_scale). */
  logitScaleExp(): A.Variable {
    return A.exp(this.logitScale);
  }

  /** As CLIP.logits: exp(logit_scale) · I @ Tᵀ (+ logit_bias) from normalised features, and its transpose. */
  logits(imageFeatures: A.Input, textFeatures: A.Input): ClipLogits {
    return contrastiveLogits(this.logitScaleExp(), this.logitBias, imageFeatures, textFeatures);
  }

  /** open_clip's `get_logits(image, text)`: encode both, normalised, then `logits`. */
  getLogits(images: A.Input, tokens: A.Input): ClipLogits {
    return this.logits(this.encodeImage(images, { normalize: true }), this.encodeText(tokens, { normalize: true }));
  }

  /**
   * open_clip's `CoCa.forward(image, text)`: normalised features, exp(logit_scale), and the
   * decoder's logits for the caption with its labels. One pass of the text tower gives both the
   * text features and the decoder's input (the causal mask makes tokens[:, :-1]'s features
   * independent of the last token).
   */
  forward(images: A.Input, tokens: A.Input): CocaOutput {
    const ids = tokens instanceof A.Variable ? tokens.value : tokens;
    const L = ids.shape[1]!;
    if (ids.ndim !== 2 || L < 2) throw new ModelError("CoCa.forward", `tokens must be (N, L) with L ≥ 2 (the decoder reads tokens[:, :-1] and predicts tokens[:, 1:]), got shape [${ids.shape.join(", ")}]`);
    const image = this.encodeImageWithTokens(images, { normalize: true });
    const text = this.textTower.encodeWithTokens(ids);
    return {
      imageFeatures: image.features,
      textFeatures: A.l2Normalize(text.features, -1),
      logitScale: this.logitScaleExp(),
      logitBias: this.logitBias,
      logits: this.textDecoder.forward(image.tokens, A.slice(text.tokens, 1, 0, L - 1)),
      labels: ids.slice(1, 1).contiguous(),
    };
  }

  /** Clamps logit_scale into [0, ln 100] in place, as CLIP.clampLogitScale (see MAX_LOGIT_SCALE). */
  clampLogitScale(): number {
    return clampLogitScaleInPlace(this.logitScale.value);
  }
}

/** A CoCa can stand wherever a CLIP is expected (checked here, by the compiler). */
const cocaHasClipSurface: (model: CoCa) => CLIP = (model) => model;
void cocaHasClipSurface;

/** Whether a model built by createModel or loaded by loadCheckpoint is a CoCa (it can caption). */
export function isCoCa(model: unknown): model is CoCa {
  return model instanceof CoCa;
}
