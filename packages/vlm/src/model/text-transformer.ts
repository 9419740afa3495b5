/**
 * The text tower of CLIP in open_clip's layout and names (transformer.py, TextTransformer;
 * CLIP.encode_text), plus the bidirectional variant (BERT / ALIGN style).
 *
 *   tokens int32 (B, L)                       L ≤ context_length; CLIP pads with 0 after end-of-text
 *   x = token_embedding(tokens)               (B, L, width)
 *   x = x + positional_embedding[:L]          [context_length, width], learned
 *   x = transformer(x, attnMask)              causal: mask[i, j] = -inf for j > i (built, never saved)
 *                                             bidirectional (no_causal_mask): no mask
 *   x = ln_final(x)
 *   pooled = x[b, argmax_j tokens[b, j]]      "argmax": end-of-text (49407) is CLIP's largest id
 *          | x[:, 0] | x[:, L-1]               "first" (a [CLS]-style token) | "last"
 *          | x[b, first j: tokens[b,j] = eos] "eos"
 *          | mean_{j ≤ e_b} x[b, j]            "mean" (Duet): e_b = the argmax position, so padding
 *                                             after end-of-text is left out
 *   y = pooled @ text_projection               [width, embed] used on the right  (B, embed)
 *     (or a Linear with proj_bias, or an MLP head, or nothing with proj_type "none")
 *
 * Parameters: token_embedding.weight [vocab, width], positional_embedding [context, width],
 * transformer.resblocks.N.*, ln_final.{weight,bias}, text_projection. Initialised as
 * open_clip's TextTransformer.init_parameters (initClipTextParameters in clip-init.ts).
 *
 * With the causal mask, position j sees only tokens ≤ j, so the end-of-text position is the
 * first that has read the whole caption: that is why CLIP pools there.
 *
 * CoCa's class token (embed_cls): a learned cls_emb [width] is appended after the L tokens,
 * positional_embedding has context_length + 1 rows, and the text is pooled there:
 *   x = [token_embedding(tokens); cls_emb] + positional_embedding[:L+1]     (B, L+1, width)
 *   x = transformer(x, causal mask + padding mask)
 *   pooled = ln_final(x[:, L]) @ text_projection;  tokens = x[:, :L]  (not normalised: the decoder's input)
 * The padding mask is open_clip's legacy one (`correct_cls_mask` is False, and
 * `_build_text_tower` never sets it): key j ≥ 1 is masked when tokens[j - 1] is pad_id, key 0
 * never — the class token's slot is taken at the front while the token sits at the back, so
 * the mask is shifted by one. Every open_clip CoCa was trained with it; Duet reproduces it.
 */

import * as A from "@duet/autograd";
import { Embedding, LayerNorm, Module, Transformer, type Linear } from "@duet/nn";
import { causalMask, fmtShape, Tensor, zeros } from "@duet/tensor";
import { initClipTextParameters } from "./clip-init.js";
import type { ModelConfig } from "./config.js";
import { ModelError } from "./errors.js";
import { addProjection, type BuildOptions, type Projection, type ProjectionKind } from "./projection.js";

export type TextPool = "argmax" | "first" | "last" | "eos" | "mean";

export interface TextTransformerOptions extends BuildOptions {
  contextLength: number;
  vocabSize: number;
  width: number;
  heads: number;
  layers: number;
  mlpRatio?: number;
  lsInitValue?: number | null;
  outputDim: number;
  /** false: bidirectional attention. Default true (CLIP). */
  causal?: boolean;
  pool?: TextPool;
  /** The id "eos" pooling looks for. */
  eosId?: number;
  /** CoCa: append a learned class token and pool there (see the file comment). */
  embedCls?: boolean;
  /** The padding id the class-token mask looks for (default 0). */
  padId?: number;
  quickGelu?: boolean;
  normEps?: number;
  projection?: ProjectionKind;
  projectionHidden?: number;
}

export class TextTransformer extends Module {
  readonly contextLength: number;
  readonly vocabSize: number;
  readonly width: number;
  readonly causal: boolean;
  readonly pool: TextPool;
  readonly eosId: number;
  readonly embedCls: boolean;
  readonly padId: number;
  private readonly projection: Projection;
  private readonly masks = new Map<number, Tensor>();

  constructor(options: TextTransformerOptions) {
    super();
    const { contextLength, vocabSize, width, heads, layers } = options;
    this.contextLength = contextLength;
    this.vocabSize = vocabSize;
    this.width = width;
    this.causal = options.causal ?? true;
    this.pool = options.pool ?? "argmax";
    this.eosId = options.eosId ?? 2;
    this.embedCls = options.embedCls ?? false;
    this.padId = options.padId ?? 0;
    const layer = { dtype: options.dtype, generator: options.generator, initialize: options.initialize };
    const eps = options.normEps ?? 1e-5;
    // registration order is open_clip's TextTransformer's
    const tokenEmbedding = this.registerModule("token_embedding", new Embedding(vocabSize, width, layer));
    const clsEmb = this.embedCls ? this.registerParameter("cls_emb", zeros([width], { dtype: options.dtype })) : undefined;
    const positional = this.registerParameter("positional_embedding", zeros([contextLength + (this.embedCls ? 1 : 0), width], { dtype: options.dtype }));
    const transformer = this.registerModule(
      "transformer",
      new Transformer(width, layers, heads, {
        ...layer,
        eps,
        mlpRatio: options.mlpRatio ?? 4,
        activation: options.quickGelu ? "quickGelu" : "gelu",
        lsInitValue: options.lsInitValue ?? undefined,
      }),
    );
    this.registerModule("ln_final", new LayerNorm(width, { ...layer, eps }));
    this.projection = addProjection(this, "text_projection", options.projection ?? "matrix", width, options.outputDim, { ...layer, hidden: options.projectionHidden });
    const kind = this.projection.kind;
    const textProjection = kind === "matrix" ? this.param("text_projection") : kind === "linear" ? this.child<Linear>("text_projection") : undefined;
    if (options.initialize !== false) initClipTextParameters({ transformer, tokenEmbedding, positionalEmbedding: positional, clsEmb, textProjection }, layer);
  }

  get transformer(): Transformer {
    return this.child<Transformer>("transformer");
  }

  /** The additive causal mask for L tokens (-inf above the diagonal), built once per length. */
  attnMask(L: number): Tensor | undefined {
    if (!this.causal) return undefined;
    let mask = this.masks.get(L);
    if (mask === undefined) {
      mask = causalMask(L, { dtype: this.param("positional_embedding").dtype });
      this.masks.set(L, mask);
    }
    return mask;
  }

  /** Per-token features after ln_final: (B, L, width) (a tower without the class token). */
  tokenFeatures(tokens: A.Input): A.Variable {
    return this.child<LayerNorm>("ln_final").forward(this.run(checkTokens(tokens, this.contextLength, this.vocabSize)));
  }

  /** The transformer's output before ln_final: (B, L, width), or (B, L + 1, width) with the class token last. */
  private run(ids: Tensor): A.Variable {
    const [B, L] = ids.shape as [number, number];
    const S = this.embedCls ? L + 1 : L;
    let x: A.Variable = this.child<Embedding>("token_embedding").forward(ids);
    if (this.embedCls) x = A.concat([x, A.expand(A.reshape(this.param("cls_emb"), [1, 1, this.width]), [B, 1, this.width])], 1);
    x = A.add(x, A.slice(this.param("positional_embedding"), 0, 0, S));
    const keyPaddingMask = this.embedCls ? legacyClsPaddingMask(ids, this.padId) : undefined;
    return this.transformer.forward(x, { attnMask: this.attnMask(S), keyPaddingMask });
  }

  /**
   * The projected features (not normalised) and the per-token features a CoCa decoder reads:
   * with the class token, x[:, :L] before ln_final (open_clip's `tokens`); else ln_final(x).
   */
  encodeWithTokens(tokens: A.Input): { features: A.Variable; tokens: A.Variable } {
    const ids = checkTokens(tokens, this.contextLength, this.vocabSize);
    const x = this.run(ids);
    const lnFinal = this.child<LayerNorm>("ln_final");
    if (!this.embedCls) {
      const y = lnFinal.forward(x);
      return { features: this.projection.apply(this.poolTokens(y, ids)), tokens: y };
    }
    const L = ids.shape[1]!;
    return { features: this.projection.apply(lnFinal.forward(A.select(x, 1, L))), tokens: A.slice(x, 1, 0, L) };
  }

  /** One feature vector per text: (B, width), by this tower's pooling. */
  poolTokens(x: A.Variable, tokens: Tensor): A.Variable {
    const [B, L] = tokens.shape as [number, number];
    if (this.pool === "first") return A.select(x, 1, 0);
    if (this.pool === "last") return A.select(x, 1, L - 1);
    const positions = this.pool === "eos" ? firstIndexOf(tokens, this.eosId) : argmaxRows(tokens);
    if (this.pool === "mean") {
      // weights (B, 1, L): 1/(e+1) on positions 0..e, then (B, 1, L) @ (B, L, width)
      const w = new Float64Array(B * L);
      positions.forEach((e, b) => w.fill(1 / (e + 1), b * L, b * L + e + 1));
      const weights = new Tensor(x.dtype === "float64" ? w : Float32Array.from(w), [B, 1, L]);
      return A.squeeze(A.matmul(weights, x), 1);
    }
    // rows b*L + e_b of x viewed as (B*L, width)
    const rows = new Tensor(Int32Array.from(positions, (e, b) => b * L + e), [B]);
    return A.indexSelect(A.reshape(x, [B * L, this.width]), 0, rows);
  }

  /** tokens int32 (B, L) -> features (B, embed), not normalised. */
  forward(tokens: A.Input): A.Variable {
    if (this.embedCls) return this.encodeWithTokens(tokens).features;
    const ids = tokens instanceof A.Variable ? tokens.value : tokens;
    return this.projection.apply(this.poolTokens(this.tokenFeatures(ids), ids));
  }
}

function checkTokens(tokens: A.Input, contextLength: number, vocabSize: number): Tensor {
  const ids = tokens instanceof A.Variable ? tokens.value : tokens;
  if (ids.dtype !== "int32" || ids.ndim !== 2 || ids.shape[1]! < 1 || ids.shape[1]! > contextLength) {
    throw new ModelError(
      "TextTransformer.forward",
      `tokens must be int32 (B, L) with 1 ≤ L ≤ context_length ${contextLength}, got ${ids.dtype} ${fmtShape(ids.shape)}; tokenize with contextLength ${contextLength}`,
    );
  }
  checkIds(ids, vocabSize);
  return ids;
}

/**
 * open_clip's `_build_additive_mask` with correct_cls_mask False, as a key padding mask
 * (B, L + 1), int32 with 1 = masked: key 0 always attends, key j ≥ 1 is masked when
 * tokens[j - 1] is the pad id (the legacy shift: see the file comment).
 */
function legacyClsPaddingMask(ids: Tensor, padId: number): Tensor {
  const [B, L] = ids.shape as [number, number];
  const data = ids.contiguousData();
  const mask = new Int32Array(B * (L + 1));
  for (let b = 0; b < B; b++) for (let j = 1; j <= L; j++) mask[b * (L + 1) + j] = data[b * L + j - 1] === padId ? 1 : 0;
  return new Tensor(mask, [B, L + 1]);
}

function checkIds(ids: Tensor, vocabSize: number): void {
  const data = ids.contiguousData();
  for (let i = 0; i < data.length; i++) {
    const id = data[i]!;
    if (id < 0 || id >= vocabSize) {
      throw new ModelError(
        "TextTransformer.forward",
        `token id ${id} at row ${Math.floor(i / ids.shape[1]!)} is outside the vocabulary [0, ${vocabSize - 1}]; was the text tokenized with this model's tokenizer?`,
      );
    }
  }
}

/** torch's argmax per row: the first position of the largest id. */
function argmaxRows(tokens: Tensor): number[] {
  const [B, L] = tokens.shape as [number, number];
  const data = tokens.contiguousData();
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    let best = 0;
    for (let j = 1; j < L; j++) if (data[b * L + j]! > data[b * L + best]!) best = j;
    out.push(best);
  }
  return out;
}

/** The first position of `id` per row, 0 where it does not occur (as open_clip's argmax of a 0/1 row). */
function firstIndexOf(tokens: Tensor, id: number): number[] {
  const [B, L] = tokens.shape as [number, number];
  const data = tokens.contiguousData();
  return Array.from({ length: B }, (_, b) => {
    for (let j = 0; j < L; j++) if (data[b * L + j] === id) return j;
    return 0;
  });
}

/** open_clip's `_build_text_tower` for a config (Duet's text_pool and projection included). */
export function buildTextTransformer(config: ModelConfig, options: BuildOptions = {}): TextTransformer {
  const t = config.text_cfg;
  const projection: ProjectionKind = t.proj_type === "none" ? "none" : config.duet.projection === "mlp" ? "mlp" : t.proj_bias ? "linear" : "matrix";
  return new TextTransformer({
    ...options,
    contextLength: t.context_length,
    vocabSize: t.vocab_size,
    width: t.width,
    heads: t.heads,
    layers: t.layers,
    mlpRatio: t.mlp_ratio,
    lsInitValue: t.ls_init_value,
    outputDim: config.embed_dim,
    causal: !t.no_causal_mask,
    pool: config.duet.text_pool ?? t.pool_type,
    eosId: t.eos_id,
    embedCls: t.embed_cls,
    padId: t.pad_id,
    quickGelu: config.quick_gelu,
    normEps: t.norm_eps,
    projection,
    projectionHidden: config.duet.projection_hidden ?? undefined,
  });
}
