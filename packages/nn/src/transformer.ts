/**
 * The pre-norm transformer of CLIP, with open_clip's module names (transformer.py):
 *
 *   MLP:        y = c_proj(act(c_fc(x)))       c_fc [hidden, width], c_proj [width, hidden]
 *   ResidualAttentionBlock (ln_1, attn, ln_2, mlp; ls_1, ls_2 only with layer scale):
 *               x = x + ls_1(attn(ln_1(x), attnMask))
 *               x = x + ls_2(mlp(ln_2(x)))
 *   Transformer: resblocks.0 ... resblocks.{layers-1}, applied in order
 *
 *   Cross-attention block (open_clip's ResidualAttentionBlock(is_cross_attention=True), CoCa's
 *   text decoder): queries from x, keys and values from a context sequence c (the image tokens),
 *   normalised by a LayerNorm of its own, ln_1_kv, between ls_1 and ln_2 in the state dict:
 *               x = x + ls_1(attn(ln_1(x), ln_1_kv(c), ln_1_kv(c)))
 *               x = x + ls_2(mlp(ln_2(x)))
 *   c is (B, S, width): the block's attention projects keys and values from the same width.
 *
 *   x is (B, L, width) (batch first, as open_clip ≥ 2.24; `batchFirst: false` takes (L, B, width))
 *
 * open_clip's MLP is an nn.Sequential with children c_fc, gelu, c_proj: the activation has
 * no parameters, so only c_fc and c_proj appear in the state dict. The activation is GELU
 * (erf), or QuickGELU for OpenAI's weights (`quick_gelu: true` in the model config).
 */

import * as A from "@duet/autograd";
import { full, TensorError, type Tensor } from "@duet/tensor";
import { makeActivation, type ActivationName, type GELU, type QuickGELU } from "./activation.js";
import { MultiheadAttention } from "./attention.js";
import { ModuleList } from "./containers.js";
import { LayerNorm } from "./layernorm.js";
import { Linear } from "./linear.js";
import { Module } from "./module.js";
import { floatDtype, positiveInt, type LayerOptions } from "./options.js";

/** LayerScale: y = x * gamma, gamma [dim] initialised to `initValue` (open_clip's ls_1 / ls_2). */
export class LayerScale extends Module {
  constructor(dim: number, initValue = 1e-5, options: LayerOptions = {}) {
    super();
    this.registerParameter("gamma", full([positiveInt("LayerScale", "dim", dim)], initValue, { dtype: floatDtype("LayerScale", options.dtype) }));
  }

  get gamma(): A.Variable {
    return this.param("gamma");
  }

  forward(x: A.Input): A.Variable {
    return A.mul(x, this.gamma);
  }
}

export interface MLPOptions extends LayerOptions {
  activation?: ActivationName;
}

export class MLP extends Module {
  constructor(width: number, hidden: number, options: MLPOptions = {}) {
    super();
    this.registerModule("c_fc", new Linear(width, hidden, options));
    this.registerModule("gelu", makeActivation(options.activation ?? "gelu"));
    this.registerModule("c_proj", new Linear(hidden, width, options));
  }

  get cFc(): Linear {
    return this.child<Linear>("c_fc");
  }
  get cProj(): Linear {
    return this.child<Linear>("c_proj");
  }

  forward(x: A.Input): A.Variable {
    return this.cProj.forward(this.child<GELU | QuickGELU>("gelu").forward(this.cFc.forward(x)));
  }
}

export interface ResidualAttentionBlockOptions extends LayerOptions {
  /** MLP hidden width = round-down(width * mlpRatio) (default 4, as open_clip). */
  mlpRatio?: number;
  activation?: ActivationName;
  /** With a value, add LayerScale ls_1 / ls_2 initialised to it (open_clip's ls_init_value); default none. */
  lsInitValue?: number;
  batchFirst?: boolean;
  /** LayerNorm eps (default 1e-5). */
  eps?: number;
  /** A cross-attention block: adds ln_1_kv and attends to `context` (open_clip's is_cross_attention). */
  crossAttention?: boolean;
}

export interface BlockCallOptions {
  /** Additive attention mask, (L, S) or (B*heads, L, S): e.g. causalMask(L) for the text tower. */
  attnMask?: Tensor;
  /** Padded keys, (B, S): additive float or int32 with nonzero = padding (see MultiheadAttention). */
  keyPaddingMask?: Tensor;
  /** Cross-attention blocks only: the sequence keys and values come from, (B, S, width). */
  context?: A.Input;
}

export class ResidualAttentionBlock extends Module {
  readonly width: number;
  readonly crossAttention: boolean;

  constructor(width: number, heads: number, options: ResidualAttentionBlockOptions = {}) {
    super();
    this.width = positiveInt("ResidualAttentionBlock", "width", width);
    this.crossAttention = options.crossAttention ?? false;
    const mlpRatio = options.mlpRatio ?? 4;
    const hidden = Math.floor(width * mlpRatio);
    if (!(hidden > 0)) throw new TensorError("ResidualAttentionBlock", `mlpRatio must give a positive hidden width, got ${mlpRatio} (width ${width})`);
    const ln = { dtype: options.dtype, eps: options.eps };
    // registration order is open_clip's: ln_1, attn, ls_1, (ln_1_kv), ln_2, mlp, ls_2
    this.registerModule("ln_1", new LayerNorm(width, ln));
    this.registerModule("attn", new MultiheadAttention(width, heads, { dtype: options.dtype, generator: options.generator, batchFirst: options.batchFirst ?? true }));
    if (options.lsInitValue !== undefined) this.registerModule("ls_1", new LayerScale(width, options.lsInitValue, options));
    if (this.crossAttention) this.registerModule("ln_1_kv", new LayerNorm(width, ln));
    this.registerModule("ln_2", new LayerNorm(width, ln));
    this.registerModule("mlp", new MLP(width, hidden, options));
    if (options.lsInitValue !== undefined) this.registerModule("ls_2", new LayerScale(width, options.lsInitValue, options));
  }

  get ln1(): LayerNorm {
    return this.child<LayerNorm>("ln_1");
  }
  get attn(): MultiheadAttention {
    return this.child<MultiheadAttention>("attn");
  }
  get ln2(): LayerNorm {
    return this.child<LayerNorm>("ln_2");
  }
  get mlp(): MLP {
    return this.child<MLP>("mlp");
  }

  forward(x: A.Input, options: BlockCallOptions = {}): A.Variable {
    const scale = (name: string, y: A.Variable) => (this.hasChild(name) ? this.child<LayerScale>(name).forward(y) : y);
    const masks = { attnMask: options.attnMask, keyPaddingMask: options.keyPaddingMask };
    let attended: A.Variable;
    if (this.crossAttention) {
      if (options.context === undefined) throw new TensorError("ResidualAttentionBlock.forward", "a cross-attention block needs options.context, the (B, S, width) sequence it attends to");
      const kv = this.child<LayerNorm>("ln_1_kv").forward(options.context);
      attended = this.attn.forward(this.ln1.forward(x), kv, kv, masks);
    } else {
      if (options.context !== undefined) throw new TensorError("ResidualAttentionBlock.forward", "options.context is for cross-attention blocks (crossAttention: true); this block attends to itself");
      attended = this.attn.forward(this.ln1.forward(x), undefined, undefined, masks);
    }
    const h = A.add(x, scale("ls_1", attended));
    return A.add(h, scale("ls_2", this.mlp.forward(this.ln2.forward(h))));
  }
}

export interface TransformerOptions extends ResidualAttentionBlockOptions {}

export class Transformer extends Module {
  readonly width: number;
  readonly layers: number;
  readonly heads: number;

  constructor(width: number, layers: number, heads: number, options: TransformerOptions = {}) {
    super();
    this.width = positiveInt("Transformer", "width", width);
    this.layers = positiveInt("Transformer", "layers", layers);
    this.heads = positiveInt("Transformer", "heads", heads);
    const blocks = Array.from({ length: layers }, () => new ResidualAttentionBlock(width, heads, options));
    this.registerModule("resblocks", new ModuleList(blocks));
  }

  get resblocks(): ModuleList<ResidualAttentionBlock> {
    return this.child<ModuleList<ResidualAttentionBlock>>("resblocks");
  }

  forward(x: A.Input, options: BlockCallOptions = {}): A.Variable {
    let y: A.Input = x;
    for (const block of this.resblocks) y = block.forward(y, options);
    return y instanceof A.Variable ? y : new A.Variable(y);
  }
}
