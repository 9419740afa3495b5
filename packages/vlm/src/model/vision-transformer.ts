/**
 * The image tower of CLIP: a Vision Transformer in open_clip's layout and names
 * (open_clip 3.3.0 transformer.py, VisionTransformer), so `visual.*` of an open_clip
 * checkpoint loads as it is.
 *
 *   images (N, 3, S, S)                      S = image_size, P = patch_size, G = S / P
 *   x = conv1(images)                        (N, width, G, G)   patchify: kernel = stride = P, no bias
 *   x = x.reshape(N, width, G²).permute      (N, G², width)
 *   x = [class_embedding; x]                 (N, G² + 1, width) the class token goes first
 *   x = x + positional_embedding             [G² + 1, width], learned
 *   x = ln_pre(x)                            (skipped with no_ln_pre)
 *   x = transformer(x)                       pre-norm blocks, bidirectional (no mask)
 *   pooled = ln_post(x)[:, 0]                "tok": the class token
 *          | ln_post(x)[:, 1:].mean(1)       "avg": the mean of the patch tokens
 *          (ln_post after pooling instead with final_ln_after_pool)
 *   y = pooled @ proj                        proj [width, embed] used on the right  (N, embed)
 *
 * CoCa's attentional pooler (attentional_pool; open_clip's "original OpenCLIP CoCa setup"):
 *   x = ln_post(attn_pool(x))                (N, Q, embed): Q learned queries read all G² + 1 tokens
 *   pooled = x[:, 0] ("tok") or x[:, 1:].mean(1) ("avg");  tokens = x[:, 1:]   (N, Q - 1, embed)
 *   y = pooled @ proj                        proj [embed, embed]
 * Without the pooler a CoCa's image tokens are ln_post(x)[:, 1:], the patch tokens (N, G², width)
 * (not normalised with final_ln_after_pool, as open_clip).
 *
 * Parameters: conv1.weight [width, 3, P, P], class_embedding [width],
 * positional_embedding [G²+1, width], ln_pre.{weight,bias}, transformer.resblocks.N.*,
 * (attn_pool.* with the pooler,) ln_post.{weight,bias}, proj [width, embed]. Initialised as open_clip: class and positional
 * embeddings ~ N(0, width^-1), proj likewise, conv and blocks torch's defaults (open_clip's
 * VisionTransformer.init_parameters is empty).
 */

import * as A from "@duet/autograd";
import { AttentionalPooler, Conv2d, init, LayerNorm, Module, Transformer } from "@duet/nn";
import { fmtShape, zeros } from "@duet/tensor";
import type { ModelConfig } from "./config.js";
import { ModelError } from "./errors.js";
import { addProjection, type BuildOptions, type Projection, type ProjectionKind } from "./projection.js";

export interface ImageTower extends Module {
  /** The side of the square input in pixels. */
  readonly imageSize: number;
  /** images (N, 3, S, S) -> features (N, embed), not normalised. */
  forward(images: A.Input): A.Variable;
}

export interface VisionTransformerOptions extends BuildOptions {
  imageSize: number;
  patchSize: number;
  width: number;
  layers: number;
  heads: number;
  mlpRatio?: number;
  lsInitValue?: number | null;
  outputDim: number;
  poolType?: "tok" | "avg";
  noLnPre?: boolean;
  finalLnAfterPool?: boolean;
  quickGelu?: boolean;
  normEps?: number;
  projection?: ProjectionKind;
  projectionHidden?: number;
  /** CoCa: pool with open_clip's AttentionalPooler (outputDim wide) before ln_post. */
  attentionalPool?: boolean;
  attnPoolerQueries?: number;
  attnPoolerHeads?: number;
}

/** The pooled features and the image tokens a CoCa's decoder attends to. */
export interface ImageEncoding {
  /** (N, embed), projected, not normalised. */
  features: A.Variable;
  /** (N, Q - 1, embed) with the attentional pooler, else the patch tokens (N, G², width). */
  tokens: A.Variable;
}

export class VisionTransformer extends Module implements ImageTower {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly gridSize: number;
  readonly width: number;
  readonly poolType: "tok" | "avg";
  readonly finalLnAfterPool: boolean;
  private readonly projection: Projection;

  constructor(options: VisionTransformerOptions) {
    super();
    const { imageSize, patchSize, width, layers, heads } = options;
    this.imageSize = imageSize;
    this.patchSize = patchSize;
    this.gridSize = Math.floor(imageSize / patchSize);
    this.width = width;
    this.poolType = options.poolType ?? "tok";
    this.finalLnAfterPool = options.finalLnAfterPool ?? false;
    const layer = { dtype: options.dtype, generator: options.generator, initialize: options.initialize };
    const eps = options.normEps ?? 1e-5;
    // registration order is open_clip's, so the state dict lists keys in its order
    this.registerModule("conv1", new Conv2d(3, width, patchSize, { ...layer, stride: patchSize, bias: false }));
    const scale = width ** -0.5;
    const classEmbedding = this.registerParameter("class_embedding", zeros([width], { dtype: options.dtype }));
    const positional = this.registerParameter("positional_embedding", zeros([this.gridSize * this.gridSize + 1, width], { dtype: options.dtype }));
    if (options.initialize !== false) {
      init.normal(classEmbedding, 0, scale, layer);
      init.normal(positional, 0, scale, layer);
    }
    if (!options.noLnPre) this.registerModule("ln_pre", new LayerNorm(width, { ...layer, eps }));
    this.registerModule(
      "transformer",
      new Transformer(width, layers, heads, {
        ...layer,
        eps,
        mlpRatio: options.mlpRatio ?? 4,
        activation: options.quickGelu ? "quickGelu" : "gelu",
        lsInitValue: options.lsInitValue ?? undefined,
      }),
    );
    if (options.attentionalPool) {
      this.registerModule("attn_pool", new AttentionalPooler(options.outputDim, width, { ...layer, nHead: options.attnPoolerHeads ?? 8, nQueries: options.attnPoolerQueries ?? 256 }));
    }
    const pooledWidth = options.attentionalPool ? options.outputDim : width;
    this.registerModule("ln_post", new LayerNorm(pooledWidth, { ...layer, eps }));
    this.projection = addProjection(this, "proj", options.projection ?? "matrix", pooledWidth, options.outputDim, { ...layer, hidden: options.projectionHidden });
  }

  get transformer(): Transformer {
    return this.child<Transformer>("transformer");
  }

  /** The token sequence before the transformer: (N, G² + 1, width). */
  embed(images: A.Input): A.Variable {
    const [N, C, H, W] = images.shape;
    if (images.shape.length !== 4 || C !== 3 || H !== this.imageSize || W !== this.imageSize) {
      throw new ModelError(
        "VisionTransformer.forward",
        `images must be (N, 3, ${this.imageSize}, ${this.imageSize}) — the model's image_size — got ${fmtShape(images.shape)}; preprocess them to ${this.imageSize} px first`,
      );
    }
    const patches = this.child<Conv2d>("conv1").forward(images); // (N, width, G, G)
    const tokens = A.permute(A.reshape(patches, [N!, this.width, this.gridSize * this.gridSize]), [0, 2, 1]); // (N, G², width)
    const cls = A.expand(A.reshape(this.param("class_embedding"), [1, 1, this.width]), [N!, 1, this.width]);
    const x = A.add(A.concat([cls, tokens], 1), this.param("positional_embedding"));
    return this.hasChild("ln_pre") ? this.child<LayerNorm>("ln_pre").forward(x) : x;
  }

  /** The pooled, un-projected features: (N, width), or (N, embed) with the attentional pooler. */
  pool(x: A.Variable): A.Variable {
    return this.poolWithTokens(x).pooled;
  }

  /** open_clip's `_pool`: the pooled features and the tokens (built only when asked for). */
  private poolWithTokens(x: A.Variable): { pooled: A.Variable; tokens: () => A.Variable } {
    const lnPost = this.child<LayerNorm>("ln_post");
    const take = (t: A.Variable) => (this.poolType === "tok" ? A.select(t, 1, 0) : A.mean(A.slice(t, 1, 1), 1));
    if (this.hasChild("attn_pool")) {
      const y = lnPost.forward(this.child<AttentionalPooler>("attn_pool").forward(x));
      return { pooled: take(y), tokens: () => A.slice(y, 1, 1) };
    }
    if (this.finalLnAfterPool) return { pooled: lnPost.forward(take(x)), tokens: () => A.slice(x, 1, 1) };
    const y = lnPost.forward(x);
    return { pooled: take(y), tokens: () => A.slice(y, 1, 1) };
  }

  forward(images: A.Input): A.Variable {
    const x = this.transformer.forward(this.embed(images));
    return this.projection.apply(this.pool(x));
  }

  /** CoCa's image encoding: the projected features and the tokens for the text decoder. */
  encodeWithTokens(images: A.Input): ImageEncoding {
    const { pooled, tokens } = this.poolWithTokens(this.transformer.forward(this.embed(images)));
    return { features: this.projection.apply(pooled), tokens: tokens() };
  }
}

/** open_clip's `_build_vision_tower` for a ViT config. */
export function buildVisionTransformer(config: ModelConfig, options: BuildOptions = {}): VisionTransformer {
  const v = config.vision_cfg;
  return new VisionTransformer({
    ...options,
    imageSize: v.image_size,
    patchSize: v.patch_size,
    width: v.width,
    layers: v.layers,
    heads: v.width / v.head_width,
    mlpRatio: v.mlp_ratio,
    lsInitValue: v.ls_init_value,
    outputDim: config.embed_dim,
    poolType: v.pool_type,
    noLnPre: v.no_ln_pre,
    finalLnAfterPool: v.final_ln_after_pool,
    quickGelu: config.quick_gelu,
    normEps: v.norm_eps,
    projection: config.duet.projection === "mlp" ? "mlp" : "matrix",
    projectionHidden: config.duet.projection_hidden ?? undefined,
    attentionalPool: v.attentional_pool,
    attnPoolerQueries: v.attn_pooler_queries,
    attnPoolerHeads: v.attn_pooler_heads,
  });
}
