/**
 * AttentionalPooler, as open_clip's (transformer.py): a fixed number of learned queries read a
 * whole sequence by cross-attention, so a sequence of any length becomes n_queries vectors.
 * CoCa's image tower pools its ViT tokens this way (one query for the contrastive embedding,
 * the rest as image tokens for the text decoder).
 *
 *   x (N, S, contextDim)                         the sequence to pool (a ViT's tokens)
 *   k = v = ln_k(x)                              (N, S, contextDim)
 *   q = ln_q(query)                              [nQueries, dModel], the same for every item
 *   out = attn(q expanded to N, k, v)            (N, nQueries, dModel)
 *
 * attn is a MultiheadAttention(dModel, nHead, kdim = vdim = contextDim): with contextDim ≠
 * dModel its projections are q_proj_weight, k_proj_weight, v_proj_weight (torch's layout).
 * Parameters, in open_clip's order: query, attn.*, ln_q.{weight,bias}, ln_k.{weight,bias}.
 * query ~ N(0, 1) (torch.randn), drawn first; the rest are the layers' defaults.
 */

import * as A from "@duet/autograd";
import { fmtShape, TensorError, zeros } from "@duet/tensor";
import { MultiheadAttention } from "./attention.js";
import { normal } from "./init.js";
import { LayerNorm } from "./layernorm.js";
import { Module } from "./module.js";
import { floatDtype, positiveInt, type LayerOptions } from "./options.js";

export interface AttentionalPoolerOptions extends LayerOptions {
  /** Attention heads (default 8, as open_clip). */
  nHead?: number;
  /** Learned queries, i.e. output tokens (default 256, as open_clip). */
  nQueries?: number;
  /** LayerNorm eps of ln_q and ln_k (default 1e-5). */
  eps?: number;
}

export class AttentionalPooler extends Module {
  readonly dModel: number;
  readonly contextDim: number;
  readonly nQueries: number;

  constructor(dModel: number, contextDim: number, options: AttentionalPoolerOptions = {}) {
    super();
    this.dModel = positiveInt("AttentionalPooler", "dModel", dModel);
    this.contextDim = positiveInt("AttentionalPooler", "contextDim", contextDim);
    this.nQueries = positiveInt("AttentionalPooler", "nQueries", options.nQueries ?? 256);
    const dtype = floatDtype("AttentionalPooler", options.dtype);
    const layer = { dtype, generator: options.generator };
    const query = this.registerParameter("query", zeros([this.nQueries, dModel], { dtype }));
    normal(query, 0, 1, layer);
    this.registerModule("attn", new MultiheadAttention(dModel, options.nHead ?? 8, { ...layer, kdim: contextDim, vdim: contextDim }));
    this.registerModule("ln_q", new LayerNorm(dModel, { ...layer, eps: options.eps }));
    this.registerModule("ln_k", new LayerNorm(contextDim, { ...layer, eps: options.eps }));
  }

  get query(): A.Variable {
    return this.param("query");
  }
  get attn(): MultiheadAttention {
    return this.child<MultiheadAttention>("attn");
  }

  /** x (N, S, contextDim) -> (N, nQueries, dModel). */
  forward(x: A.Input): A.Variable {
    if (x.shape.length !== 3 || x.shape[2] !== this.contextDim) {
      throw new TensorError("AttentionalPooler.forward", `x must be (N, S, contextDim) with contextDim = ${this.contextDim}, got shape ${fmtShape(x.shape)}`);
    }
    const N = x.shape[0]!;
    const kv = this.child<LayerNorm>("ln_k").forward(x);
    const q = this.child<LayerNorm>("ln_q").forward(this.query);
    const queries = A.expand(A.unsqueeze(q, 0), [N, this.nQueries, this.dModel]);
    return this.attn.forward(queries, kv, kv);
  }
}
