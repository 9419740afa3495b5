/**
 * CLIP's initialisation of a text transformer, as open_clip's `TextTransformer.init_parameters`:
 *
 *   token_embedding.weight ~ N(0, 0.02²),  positional_embedding ~ N(0, 0.01²),  cls_emb ~ N(0, 0.01²)
 *   for every block:
 *     attn.in_proj_weight  ~ N(0, attnStd²)   attnStd = width^-0.5
 *     attn.out_proj.weight ~ N(0, projStd²)   projStd = width^-0.5 * (2 * layers)^-0.5
 *     mlp.c_fc.weight      ~ N(0, fcStd²)     fcStd   = (2 * width)^-0.5
 *     mlp.c_proj.weight    ~ N(0, projStd²)
 *   text_projection ~ N(0, width^-1)  (a [width, embed] parameter used as x @ P; or, when it
 *                   is a Linear, its weight likewise and its bias zero)
 *
 * Biases and LayerNorm gains are left as the layers made them (torch's defaults: MHA biases
 * zero, Linear biases uniform, LayerNorm ones and zeros), exactly as open_clip leaves them.
 * The smaller projStd keeps the residual stream's variance from growing with depth.
 *
 * CLIP's scheme, so it lives with CLIP's model; @duet/nn keeps the generic initialisers
 * (init.normal, init.xavierUniform, ...) and each layer's torch default.
 */

import type { Variable } from "@duet/autograd";
import { Embedding, init, Linear, type Transformer } from "@duet/nn";
import type { Generator } from "@duet/tensor";

const { normal, zeros } = init;

/** The standard deviations of open_clip's transformer init, for a width and depth. */
export function clipTransformerInitStds(width: number, layers: number): { projStd: number; attnStd: number; fcStd: number } {
  return {
    projStd: width ** -0.5 * (2 * layers) ** -0.5,
    attnStd: width ** -0.5,
    fcStd: (2 * width) ** -0.5,
  };
}

/** The block loop of `init_parameters`: re-draws each block's projection weights. */
export function initClipTransformer(transformer: Transformer, options: { generator?: Generator } = {}): void {
  const { projStd, attnStd, fcStd } = clipTransformerInitStds(transformer.width, transformer.layers);
  for (const block of transformer.resblocks) {
    normal(block.attn.inProjWeight, 0, attnStd, options);
    normal(block.attn.outProj.weight, 0, projStd, options);
    normal(block.mlp.cFc.weight, 0, fcStd, options);
    normal(block.mlp.cProj.weight, 0, projStd, options);
  }
}

export interface ClipTextParts {
  transformer: Transformer;
  tokenEmbedding?: Embedding | Variable;
  positionalEmbedding?: Variable;
  clsEmb?: Variable;
  textProjection?: Variable | Linear;
}

/** open_clip's `TextTransformer.init_parameters`, in its order of draws. */
export function initClipTextParameters(parts: ClipTextParts, options: { generator?: Generator } = {}): void {
  const width = parts.transformer.width;
  if (parts.tokenEmbedding) normal(parts.tokenEmbedding instanceof Embedding ? parts.tokenEmbedding.weight : parts.tokenEmbedding, 0, 0.02, options);
  if (parts.positionalEmbedding) normal(parts.positionalEmbedding, 0, 0.01, options);
  if (parts.clsEmb) normal(parts.clsEmb, 0, 0.01, options);
  initClipTransformer(parts.transformer, options);
  const proj = parts.textProjection;
  if (proj instanceof Linear) {
    normal(proj.weight, 0, width ** -0.5, options);
    if (proj.bias) zeros(proj.bias);
  } else if (proj) {
    normal(proj, 0, width ** -0.5, options);
  }
}
