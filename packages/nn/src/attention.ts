/**
 * MultiheadAttention, as torch.nn.MultiheadAttention with PyTorch's parameter layout, so
 * open_clip checkpoints load as they are:
 *   in_proj_weight [3E, E]  (rows 0..E-1 project q, E..2E-1 k, 2E..3E-1 v), in_proj_bias [3E],
 *   out_proj.weight [E, E], out_proj.bias [E]  (out_proj is a Linear)
 *
 * Batch first. Inputs are (B, L, E) — batch, sequence, embedding — by default
 * (`batchFirst: true`), as open_clip builds its blocks (3.3.0's ResidualAttentionBlock and
 * Transformer default to batch_first=True and call nn.MultiheadAttention(...,
 * batch_first=True)). NOTE torch's own default is batch_first=False, (L, B, E); pass
 * `batchFirst: false` for that. An unbatched (L, E) input is accepted too. The layout
 * changes only how inputs are read: the parameters, and so checkpoints, are the same.
 *
 * With H heads of size Dh = E / H, for query (B, L, E) and key, value (B, S, E):
 *   q = query @ W_qᵀ + b_q, k and v likewise             (B, L|S, E)
 *   split heads: q -> (B, H, L, Dh), k, v -> (B, H, S, Dh)
 *   q = q * (1/√Dh)                                        (scaled before the product, as torch's
 *                                                           need_weights path; its fused path is the same math)
 *   scores  = q @ kᵀ + attnMask (+ keyPaddingMask)          (B, H, L, S)
 *   weights = softmax(scores, -1), then dropout (training only, p = `dropout`)
 *   out     = merge heads(weights @ v) @ W_outᵀ + b_out     (B, L, E)
 * Masks are additive float tensors (0 = attend, -Infinity = do not), e.g. `causalMask(L)`:
 *   attnMask (L, S) or (B*H, L, S); keyPaddingMask (B, S) additive float, or int32 where
 *   nonzero marks padding. A row whose every score is masked gives NaN, as torch.
 *
 * Keys and values of another width (torch's kdim / vdim, e.g. open_clip's AttentionalPooler
 * reading a ViT of width 768 with queries of width 512): the projections cannot be packed, so
 * torch stores them apart, and so does this class:
 *   q_proj_weight [E, E], k_proj_weight [E, kdim], v_proj_weight [E, vdim], in_proj_bias [3E]
 * (no in_proj_weight; the bias stays packed). With kdim = vdim = E the packed layout is used.
 *
 * Initialised as torch's `_reset_parameters`: in_proj_weight (or each of q/k/v_proj_weight)
 * xavier-uniform, in_proj_bias and out_proj.bias zero, out_proj.weight Linear's default.
 */

import * as A from "@duet/autograd";
import { add, fmtShape, isFloat, shapesEqual, Tensor, TensorError, where, zeros, type Generator } from "@duet/tensor";
import { dropout } from "./dropout.js";
import { xavierUniform } from "./init.js";
import { Linear } from "./linear.js";
import { Module } from "./module.js";
import { floatDtype, positiveInt, type LayerOptions } from "./options.js";

export interface MultiheadAttentionOptions extends LayerOptions {
  /** Biases on the in and out projections (default true). */
  bias?: boolean;
  /** Inputs are (B, L, E) when true (default, as open_clip), (L, B, E) when false (torch's default). */
  batchFirst?: boolean;
  /** Dropout on the attention weights in training (default 0, as open_clip). */
  dropout?: number;
  /** Width of the keys (default embedDim); another width stores q/k/v_proj_weight apart. */
  kdim?: number;
  /** Width of the values (default embedDim). */
  vdim?: number;
}

export interface AttentionCallOptions {
  /** Additive float mask, (L, S) or (B*H, L, S). */
  attnMask?: Tensor;
  /** Padding of the keys: (B, S) additive float, or int32 with nonzero = padding. */
  keyPaddingMask?: Tensor;
}

export interface AttentionWithWeights {
  output: A.Variable;
  /** softmax weights: (B, L, S) averaged over heads, or (B, H, L, S) with `averageAttnWeights: false`. */
  weights: A.Variable;
}

export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  /** torch's `_qkv_same_embed_dim`: q, k, v projections packed in in_proj_weight. */
  readonly packed: boolean;
  readonly batchFirst: boolean;
  readonly dropoutP: number;
  private readonly dropoutGenerator: Generator | undefined;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    this.embedDim = positiveInt("MultiheadAttention", "embedDim", embedDim);
    this.numHeads = positiveInt("MultiheadAttention", "numHeads", numHeads);
    if (embedDim % numHeads !== 0) {
      throw new TensorError("MultiheadAttention", `embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    }
    this.headDim = embedDim / numHeads;
    this.kdim = positiveInt("MultiheadAttention", "kdim", options.kdim ?? embedDim);
    this.vdim = positiveInt("MultiheadAttention", "vdim", options.vdim ?? embedDim);
    this.packed = this.kdim === embedDim && this.vdim === embedDim;
    this.batchFirst = options.batchFirst ?? true;
    this.dropoutP = options.dropout ?? 0;
    if (!(this.dropoutP >= 0 && this.dropoutP <= 1)) throw new TensorError("MultiheadAttention", `dropout must be in [0, 1], got ${options.dropout}`);
    this.dropoutGenerator = options.generator;
    const dtype = floatDtype("MultiheadAttention", options.dtype);
    const bias = options.bias ?? true;
    // registration order is torch's: in_proj_weight (or q, k, v_proj_weight), in_proj_bias, then out_proj
    const weights = this.packed
      ? [this.registerParameter("in_proj_weight", zeros([3 * embedDim, embedDim], { dtype }))]
      : ([["q_proj_weight", embedDim], ["k_proj_weight", this.kdim], ["v_proj_weight", this.vdim]] as const).map(([name, width]) => this.registerParameter(name, zeros([embedDim, width], { dtype })));
    if (bias) this.registerParameter("in_proj_bias", zeros([3 * embedDim], { dtype }));
    const outProj = this.registerModule("out_proj", new Linear(embedDim, embedDim, { ...options, bias }));
    for (const w of weights) xavierUniform(w, { generator: options.generator });
    if (outProj.bias) outProj.bias.value.data.fill(0);
  }

  /** The packed q, k, v weight [3E, E]; with kdim or vdim ≠ E there is none (see projWeights). */
  get inProjWeight(): A.Variable {
    if (!this.packed) throw new TensorError("MultiheadAttention.inProjWeight", `kdim (${this.kdim}) or vdim (${this.vdim}) differs from embedDim (${this.embedDim}): the weights are q_proj_weight, k_proj_weight, v_proj_weight (see projWeights)`);
    return this.param("in_proj_weight");
  }
  /** The q, k, v projection weights [E, E], [E, kdim], [E, vdim]: row slices of in_proj_weight when packed. */
  get projWeights(): [A.Variable, A.Variable, A.Variable] {
    if (this.packed) {
      const W = this.inProjWeight;
      const E = this.embedDim;
      return [A.slice(W, 0, 0, E), A.slice(W, 0, E, 2 * E), A.slice(W, 0, 2 * E, 3 * E)];
    }
    return [this.param("q_proj_weight"), this.param("k_proj_weight"), this.param("v_proj_weight")];
  }
  get inProjBias(): A.Variable | null {
    return this.hasParam("in_proj_bias") ? this.param("in_proj_bias") : null;
  }
  get outProj(): Linear {
    return this.child<Linear>("out_proj");
  }

  /** Self-attention when key and value are omitted (key defaults to query, value to key). */
  forward(query: A.Input, key?: A.Input, value?: A.Input, options: AttentionCallOptions = {}): A.Variable {
    return this.attend(query, key ?? query, value ?? key ?? query, options, false, true).output;
  }

  /** Like forward, and also returns the attention weights (as torch's need_weights=True). */
  forwardWithWeights(query: A.Input, key?: A.Input, value?: A.Input, options: AttentionCallOptions & { averageAttnWeights?: boolean } = {}): AttentionWithWeights {
    const r = this.attend(query, key ?? query, value ?? key ?? query, options, true, options.averageAttnWeights ?? true);
    return { output: r.output, weights: r.weights! };
  }

  private attend(query: A.Input, key: A.Input, value: A.Input, options: AttentionCallOptions, needWeights: boolean, average: boolean): { output: A.Variable; weights: A.Variable | null } {
    const E = this.embedDim;
    const H = this.numHeads;
    const Dh = this.headDim;
    const unbatched = query.shape.length === 2;
    const ndim = unbatched ? 2 : 3;
    for (const [name, t, width, dim] of [["query", query, E, "E"], ["key", key, this.kdim, "kdim"], ["value", value, this.vdim, "vdim"]] as const) {
      if (t.shape.length !== ndim || t.shape[ndim - 1] !== width) {
        const layout = unbatched ? `(L, ${dim})` : this.batchFirst ? `(B, L, ${dim})` : `(L, B, ${dim})`;
        throw new TensorError("MultiheadAttention.forward", `${name} must be ${layout} with ${dim} = ${width}${name === "query" ? "" : ", the query's rank"}, got shape ${fmtShape(t.shape)}`);
      }
    }
    // to (B, L, E)
    const toBatchFirst = (t: A.Input): A.Variable => (unbatched ? A.unsqueeze(t, 0) : this.batchFirst ? asVar(t) : A.transpose(t, 0, 1));
    const q0 = toBatchFirst(query);
    const k0 = key === query ? q0 : toBatchFirst(key);
    const v0 = value === key ? k0 : toBatchFirst(value);
    const [B, L] = q0.shape as [number, number, number];
    const S = k0.shape[1]!;
    if (k0.shape[0] !== B || v0.shape[0] !== B || v0.shape[1] !== S) {
      throw new TensorError("MultiheadAttention.forward", `batch and key length must agree: query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)}, value ${fmtShape(value.shape)}`);
    }
    const [q, k, v] = this.inProjection(q0, k0, v0);
    const heads = (t: A.Variable, len: number) => A.transpose(A.reshape(t, [B, len, H, Dh]), 1, 2); // (B, H, len, Dh)
    const qh = A.mul(heads(q, L), 1 / Math.sqrt(Dh));
    let scores = A.matmul(qh, A.transpose(heads(k, S))); // (B, H, L, S)
    const mask = this.combinedMask(options, B, L, S, q0.dtype);
    if (mask) scores = A.add(scores, mask);
    let weights = A.softmax(scores, -1);
    const dropped = dropout(weights, this.dropoutP, this.training, this.dropoutGenerator);
    const merged = A.reshape(A.transpose(A.matmul(dropped, heads(v, S)), 1, 2), [B, L, E]);
    let output = this.outProj.forward(merged);
    if (unbatched) output = A.squeeze(output, 0);
    else if (!this.batchFirst) output = A.transpose(output, 0, 1);
    if (!needWeights) return { output, weights: null };
    if (average) weights = A.mean(weights, 1);
    if (unbatched) weights = A.squeeze(weights, 0);
    return { output, weights };
  }

  /** q, k, v projections: one product for packed self-attention, else one per input (row slices when packed). */
  private inProjection(q: A.Variable, k: A.Variable, v: A.Variable): [A.Variable, A.Variable, A.Variable] {
    const E = this.embedDim;
    const b = this.inProjBias;
    const project = (x: A.Variable, rows: A.Variable, bias: A.Variable | null) => {
      const y = A.matmul(x, A.transpose(rows));
      return bias ? A.add(y, bias) : y;
    };
    if (this.packed && q === k && k === v) {
      const [qq, kk, vv] = A.split(project(q, this.inProjWeight, b), E, -1) as [A.Variable, A.Variable, A.Variable];
      return [qq, kk, vv];
    }
    const [wq, wk, wv] = this.projWeights;
    const bias = (i: number) => (b ? A.slice(b, 0, i * E, (i + 1) * E) : null);
    return [project(q, wq, bias(0)), project(k, wk, bias(1)), project(v, wv, bias(2))];
  }

  /** attnMask and keyPaddingMask as one additive tensor that broadcasts to (B, H, L, S). */
  private combinedMask(options: AttentionCallOptions, B: number, L: number, S: number, dtype: "float32" | "float64" | "int32"): Tensor | null {
    const H = this.numHeads;
    let mask: Tensor | null = null;
    const { attnMask, keyPaddingMask } = options;
    if (attnMask !== undefined) {
      if (!(attnMask instanceof Tensor) || !isFloat(attnMask.dtype)) {
        throw new TensorError("MultiheadAttention.forward", `attnMask must be an additive float Tensor (0 = attend, -Infinity = masked; see causalMask), got ${describe(attnMask)}`);
      }
      if (shapesEqual(attnMask.shape, [L, S])) mask = attnMask.to(dtype);
      else if (shapesEqual(attnMask.shape, [B * H, L, S])) mask = attnMask.to(dtype).reshape([B, H, L, S]);
      else {
        throw new TensorError("MultiheadAttention.forward", `attnMask must have shape ${fmtShape([L, S])} or ${fmtShape([B * H, L, S])} (B*H, L, S), got ${fmtShape(attnMask.shape)}`);
      }
    }
    if (keyPaddingMask !== undefined) {
      if (!(keyPaddingMask instanceof Tensor) || !shapesEqual(keyPaddingMask.shape, [B, S])) {
        throw new TensorError("MultiheadAttention.forward", `keyPaddingMask must be a Tensor of shape ${fmtShape([B, S])} (B, S), got ${describe(keyPaddingMask)}`);
      }
      const additive = isFloat(keyPaddingMask.dtype) ? keyPaddingMask.to(dtype) : where(keyPaddingMask, -Infinity, 0).to(dtype);
      const padding = additive.reshape([B, 1, 1, S]);
      mask = mask === null ? padding : add(mask, padding);
    }
    return mask;
  }
}

function asVar(t: A.Input): A.Variable {
  return t instanceof A.Variable ? t : new A.Variable(t);
}

function describe(x: unknown): string {
  if (x instanceof Tensor) return `${x.dtype} of shape ${fmtShape(x.shape)}`;
  return x === null ? "null" : typeof x;
}
