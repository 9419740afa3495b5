/**
 * Incremental attention for autoregressive decoding: a key/value cache per block, so reading
 * one more token costs one row of work instead of a pass over the whole prefix.
 *
 * A causal block's output at position t depends on the tokens ≤ t only, and its keys and
 * values at t are fixed once token t is read. So for each new token x_t (B, 1, width):
 *
 *   self-attention block (ResidualAttentionBlock, causal):
 *     h = ln_1(x_t);  q, k, v = h @ W_{q,k,v}ᵀ + b          (B, H, 1, Dh) each
 *     cache.keys   = [cache.keys;   k]                      (B, H, t+1, Dh)
 *     cache.values = [cache.values; v]
 *     a = softmax(q/√Dh @ cache.keysᵀ + keyPaddingMask) @ cache.values     no causal mask needed:
 *                                                           the cache holds only tokens ≤ t
 *     x = x_t + ls_1(out_proj(a));  x = x + ls_2(mlp(ln_2(x)))
 *
 *   cross-attention block (crossAttention: true): the keys and values of the context
 *     (ln_1_kv(c) projected) are computed once, by `crossAttentionCache`, and read at every step.
 *
 * The arithmetic is the block's own (MultiheadAttention's order: project, split heads, scale q,
 * add the mask, softmax), so a cached step gives the full forward's row t
 * (tests/nn/kv-cache.test.ts checks it to float64 rounding). Inference only: run it under
 * noGrad (nothing here is meant to be differentiated).
 */

import * as A from "@duet/autograd";
import { concat, fmtShape, indexSelect, isFloat, Tensor, TensorError, where } from "@duet/tensor";
import type { MultiheadAttention } from "./attention.js";
import type { LayerNorm } from "./layernorm.js";
import type { LayerScale, ResidualAttentionBlock } from "./transformer.js";

/** The keys and values one attention layer has read, (B, H, S, Dh) each; empty before the first token. */
export class KeyValueCache {
  private keyRows: Tensor | null = null;
  private valueRows: Tensor | null = null;

  /** Tokens cached per row (S). */
  get length(): number {
    return this.keyRows === null ? 0 : this.keyRows.shape[2]!;
  }

  /** Rows (B). */
  get rows(): number {
    return this.keyRows === null ? 0 : this.keyRows.shape[0]!;
  }

  get keys(): Tensor {
    if (this.keyRows === null) throw new TensorError("KeyValueCache.keys", "the cache is empty: append keys and values first");
    return this.keyRows;
  }

  get values(): Tensor {
    if (this.valueRows === null) throw new TensorError("KeyValueCache.values", "the cache is empty: append keys and values first");
    return this.valueRows;
  }

  /** Appends keys and values (B, H, n, Dh) after those already held. */
  append(keys: Tensor, values: Tensor): void {
    if (keys.ndim !== 4 || values.ndim !== 4 || keys.shape.some((d, i) => i !== 2 && d !== values.shape[i]) || keys.shape[2] !== values.shape[2]) {
      throw new TensorError("KeyValueCache.append", `keys and values must be (B, H, n, Dh) of one shape, got ${fmtShape(keys.shape)} and ${fmtShape(values.shape)}`);
    }
    if (this.keyRows !== null && (this.keyRows.shape[0] !== keys.shape[0] || this.keyRows.shape[1] !== keys.shape[1] || this.keyRows.shape[3] !== keys.shape[3])) {
      throw new TensorError("KeyValueCache.append", `the cache holds ${fmtShape(this.keyRows.shape)}; new keys ${fmtShape(keys.shape)} differ outside the sequence axis`);
    }
    // concatenating copies the prefix each step: O(S) per token, negligible beside the projections
    this.keyRows = this.keyRows === null ? keys.contiguous() : concat([this.keyRows, keys], 2);
    this.valueRows = this.valueRows === null ? values.contiguous() : concat([this.valueRows, values], 2);
  }

  /** Keeps rows `rows` (indices into the current rows, repeats allowed) in that order: beam search's reordering. */
  selectRows(rows: Tensor): void {
    if (this.keyRows === null || this.valueRows === null) return;
    this.keyRows = indexSelect(this.keyRows, 0, rows);
    this.valueRows = indexSelect(this.valueRows, 0, rows);
  }
}

/** (B, L, E) -> (B, H, L, Dh). */
function splitHeads(x: A.Variable, heads: number): A.Variable {
  const [B, L, E] = x.shape as [number, number, number];
  return A.transpose(A.reshape(x, [B, L, heads, E / heads]), 1, 2);
}

function project(x: A.Variable, weight: A.Variable, bias: A.Variable | null): A.Variable {
  const y = A.matmul(x, A.transpose(weight));
  return bias ? A.add(y, bias) : y;
}

/** The i-th third of the packed in_proj_bias, or null without biases. */
function biasPart(attn: MultiheadAttention, i: number): A.Variable | null {
  const b = attn.inProjBias;
  return b ? A.slice(b, 0, i * attn.embedDim, (i + 1) * attn.embedDim) : null;
}

function checkAttention(op: string, attn: MultiheadAttention, x: A.Input): void {
  if (!attn.batchFirst) throw new TensorError(op, "the cached step reads (B, 1, E) batch-first inputs; this attention was built with batchFirst: false");
  if (x.shape.length !== 3 || x.shape[2] !== attn.embedDim) throw new TensorError(op, `x must be (B, L, ${attn.embedDim}), got ${fmtShape(x.shape)}`);
}

/** A (B, S) key padding mask, additive float or int32 with nonzero = padding, as an additive (B, 1, 1, S) tensor. */
function paddingMask(op: string, mask: Tensor, B: number, S: number, dtype: Tensor["dtype"]): Tensor {
  if (mask.ndim !== 2 || mask.shape[0] !== B || mask.shape[1] !== S) {
    throw new TensorError(op, `keyPaddingMask must be (B, S) = ${fmtShape([B, S])} (one entry per cached key), got ${fmtShape(mask.shape)}`);
  }
  const additive = isFloat(mask.dtype) ? mask.to(dtype) : where(mask, -Infinity, 0).to(dtype);
  return additive.reshape([B, 1, 1, S]);
}

/** softmax(q/√Dh @ kᵀ + mask) @ v, heads merged and out_proj applied: q (B, L, E) projected, keys/values (B, H, S, Dh). */
function attendTo(attn: MultiheadAttention, q: A.Variable, keys: Tensor, values: Tensor, mask: Tensor | null): A.Variable {
  const [B, L, E] = q.shape as [number, number, number];
  const qh = A.mul(splitHeads(q, attn.numHeads), 1 / Math.sqrt(attn.headDim));
  let scores = A.matmul(qh, A.transpose(keys)); // (B, H, L, S)
  if (mask) scores = A.add(scores, mask);
  const merged = A.reshape(A.transpose(A.matmul(A.softmax(scores, -1), values), 1, 2), [B, L, E]);
  return attn.outProj.forward(merged);
}

/** The residual, LayerScale and MLP half of a block, as ResidualAttentionBlock.forward computes it. */
function finishBlock(block: ResidualAttentionBlock, x: A.Input, attended: A.Variable): A.Variable {
  const scale = (name: string, y: A.Variable) => (block.hasChild(name) ? block.child<LayerScale>(name).forward(y) : y);
  const h = A.add(x, scale("ls_1", attended));
  return A.add(h, scale("ls_2", block.mlp.forward(block.ln2.forward(h))));
}

export interface CachedStepOptions {
  /** (B, S) for all S keys in the cache after this step: additive float, or int32 with nonzero = padding. */
  keyPaddingMask?: Tensor;
}

/**
 * One step of a causal self-attention block: x (B, L, width) are the next L tokens (usually
 * L = 1); their keys and values are appended to `cache`, and the result is the block's output
 * for them (B, L, width). With L > 1 the new tokens would need a causal mask among themselves:
 * only L = 1 is accepted.
 */
export function selfAttentionStep(block: ResidualAttentionBlock, x: A.Input, cache: KeyValueCache, options: CachedStepOptions = {}): A.Variable {
  const op = "selfAttentionStep";
  if (block.crossAttention) throw new TensorError(op, "this is a cross-attention block: use crossAttentionStep with crossAttentionCache");
  const attn = block.attn;
  checkAttention(op, attn, x);
  if (x.shape[1] !== 1) throw new TensorError(op, `x must hold one new token per row, (B, 1, ${attn.embedDim}); got ${fmtShape(x.shape)}`);
  if (cache.length > 0 && cache.rows !== x.shape[0]) throw new TensorError(op, `the cache holds ${cache.rows} rows but x has ${x.shape[0]}`);
  const h = block.ln1.forward(x);
  // one packed product, as MultiheadAttention's self-attention
  const qkv = attn.packed ? project(h, attn.inProjWeight, attn.inProjBias) : null;
  const [q, k, v] = qkv
    ? (A.split(qkv, attn.embedDim, -1) as [A.Variable, A.Variable, A.Variable])
    : attn.projWeights.map((w, i) => project(h, w, biasPart(attn, i))) as [A.Variable, A.Variable, A.Variable];
  cache.append(splitHeads(k, attn.numHeads).value, splitHeads(v, attn.numHeads).value);
  const B = x.shape[0]!;
  const mask = options.keyPaddingMask === undefined ? null : paddingMask(op, options.keyPaddingMask, B, cache.length, q.dtype);
  return finishBlock(block, x, attendTo(attn, q, cache.keys, cache.values, mask));
}

/** The keys and values a cross-attention block reads from `context` (B, S, width), computed once: ln_1_kv, then k and v. */
export function crossAttentionCache(block: ResidualAttentionBlock, context: A.Input): KeyValueCache {
  const op = "crossAttentionCache";
  if (!block.crossAttention) throw new TensorError(op, "this block attends to itself; only a cross-attention block (crossAttention: true) reads a context");
  const attn = block.attn;
  checkAttention(op, attn, context);
  const kv = block.child<LayerNorm>("ln_1_kv").forward(context);
  const [, wk, wv] = attn.projWeights;
  const cache = new KeyValueCache();
  cache.append(splitHeads(project(kv, wk, biasPart(attn, 1)), attn.numHeads).value, splitHeads(project(kv, wv, biasPart(attn, 2)), attn.numHeads).value);
  return cache;
}

/** A cross-attention block for new tokens x (B, L, width) against the context held by `cache` (crossAttentionCache). */
export function crossAttentionStep(block: ResidualAttentionBlock, x: A.Input, cache: KeyValueCache): A.Variable {
  const op = "crossAttentionStep";
  if (!block.crossAttention) throw new TensorError(op, "this block attends to itself: use selfAttentionStep");
  const attn = block.attn;
  checkAttention(op, attn, x);
  if (cache.rows !== x.shape[0]) throw new TensorError(op, `the context cache holds ${cache.rows} rows but x has ${x.shape[0]}`);
  const [wq] = attn.projWeights;
  const q = project(block.ln1.forward(x), wq, biasPart(attn, 0));
  return finishBlock(block, x, attendTo(attn, q, cache.keys, cache.values, null));
}
