/**
 * CoCa's text decoder, open_clip's MultimodalTransformer (transformer.py), in its names:
 *
 *   text (B, T, width): the text tower's per-token features; image (B, N, width): image tokens
 *   for i in 0 .. layers-1:
 *     text = resblocks.i(text, causal mask)              self-attention, token t sees tokens ≤ t
 *     text = cross_attn.i(text, context = image)          every token reads every image token
 *   logits = ln_final(text) @ text_projection            [width, vocab] used on the right  (B, T, vocab)
 *
 * logits[:, t] predicts token t + 1: CoCa's captioning loss reads the caption shifted by one.
 * Parameters: resblocks.N.* (as the towers' blocks), cross_attn.N.* (the same plus ln_1_kv),
 * ln_final.{weight,bias}, text_projection.
 *
 * What open_clip's builder does, reproduced: the MLPs are 4× wide (multimodal_cfg.mlp_ratio is
 * not passed on), the LayerNorms have eps 1e-5, the blocks keep torch's default init (the
 * class's init_parameters names a `self.transformer` it does not have and is never called).
 * Its text_projection starts as torch.empty — whatever memory held; Duet draws it from
 * N(0, width^-1), the init that unused method meant to give it.
 *
 * For generation: the decoder is causal, so logits at t depend on text[:, :t+1] only; caching
 * each block's self-attention keys and values and the cross-attention's (fixed per image) turns
 * a step into one token's work (not done here: forward recomputes the whole prefix).
 */

import * as A from "@duet/autograd";
import { init, LayerNorm, Module, ModuleList, ResidualAttentionBlock, type ResidualAttentionBlockOptions } from "@duet/nn";
import { causalMask, fmtShape, zeros, type Tensor } from "@duet/tensor";
import type { ModelConfig } from "./config.js";
import { ModelError } from "./errors.js";
import type { BuildOptions } from "./projection.js";

export interface MultimodalTransformerOptions extends BuildOptions {
  width: number;
  layers: number;
  heads: number;
  /** The longest text the causal mask covers. */
  contextLength: number;
  /** The vocabulary the logits range over. */
  outputDim: number;
  lsInitValue?: number | null;
  quickGelu?: boolean;
}

export class MultimodalTransformer extends Module {
  readonly width: number;
  readonly layers: number;
  readonly contextLength: number;
  readonly outputDim: number;
  private readonly masks = new Map<number, Tensor>();

  constructor(options: MultimodalTransformerOptions) {
    super();
    const { width, layers, heads } = options;
    this.width = width;
    this.layers = layers;
    this.contextLength = options.contextLength;
    this.outputDim = options.outputDim;
    const block: ResidualAttentionBlockOptions = {
      dtype: options.dtype,
      generator: options.generator,
      mlpRatio: 4,
      activation: options.quickGelu ? "quickGelu" : "gelu",
      lsInitValue: options.lsInitValue ?? undefined,
    };
    // registration order is open_clip's: resblocks, cross_attn, ln_final, text_projection
    this.registerModule("resblocks", new ModuleList(Array.from({ length: layers }, () => new ResidualAttentionBlock(width, heads, block))));
    this.registerModule("cross_attn", new ModuleList(Array.from({ length: layers }, () => new ResidualAttentionBlock(width, heads, { ...block, crossAttention: true }))));
    this.registerModule("ln_final", new LayerNorm(width, { dtype: options.dtype }));
    const projection = this.registerParameter("text_projection", zeros([width, options.outputDim], { dtype: options.dtype }));
    if (options.initialize !== false) init.normal(projection, 0, width ** -0.5, { generator: options.generator });
  }

  get resblocks(): ModuleList<ResidualAttentionBlock> {
    return this.child<ModuleList<ResidualAttentionBlock>>("resblocks");
  }
  get crossAttn(): ModuleList<ResidualAttentionBlock> {
    return this.child<ModuleList<ResidualAttentionBlock>>("cross_attn");
  }

  /** The additive causal mask for T tokens, built once per length. */
  private causal(T: number): Tensor {
    let mask = this.masks.get(T);
    if (mask === undefined) {
      mask = causalMask(T, { dtype: this.param("text_projection").dtype });
      this.masks.set(T, mask);
    }
    return mask;
  }

  /** image (B, N, width), text (B, T, width) with T ≤ contextLength -> logits (B, T, vocab). */
  forward(image: A.Input, text: A.Input): A.Variable {
    const W = this.width;
    if (image.shape.length !== 3 || image.shape[2] !== W || text.shape.length !== 3 || text.shape[2] !== W || image.shape[0] !== text.shape[0]) {
      throw new ModelError("MultimodalTransformer.forward", `image must be (B, N, ${W}) and text (B, T, ${W}) with the same B, got ${fmtShape(image.shape)} and ${fmtShape(text.shape)}`);
    }
    const T = text.shape[1]!;
    if (T < 1 || T > this.contextLength) {
      throw new ModelError("MultimodalTransformer.forward", `the text has ${T} tokens; the decoder reads 1 to multimodal_cfg.context_length = ${this.contextLength}`);
    }
    const attnMask = this.causal(T);
    let x: A.Input = text;
    for (let i = 0; i < this.layers; i++) {
      x = this.resblocks.at(i).forward(x, { attnMask });
      x = this.crossAttn.at(i).forward(x, { context: image });
    }
    return A.matmul(this.child<LayerNorm>("ln_final").forward(x), this.param("text_projection"));
  }
}

/** open_clip's `_build_text_decoder_tower`: the vocabulary is text_cfg's. */
export function buildTextDecoder(config: ModelConfig, options: BuildOptions = {}): MultimodalTransformer {
  const m = config.multimodal_cfg;
  if (m === null) throw new ModelError("buildTextDecoder", "the config has no multimodal_cfg: only a CoCa has a text decoder");
  return new MultimodalTransformer({
    ...options,
    width: m.width,
    layers: m.layers,
    heads: m.heads,
    contextLength: m.context_length,
    outputDim: config.text_cfg.vocab_size,
    lsInitValue: m.ls_init_value,
    quickGelu: config.quick_gelu,
  });
}
