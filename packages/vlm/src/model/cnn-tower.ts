/**
 * The small convolutional image tower of the seed's SimpleVLM: a few conv–ReLU–pool blocks,
 * global average pooling, and a projection into the embedding space. Cheap, and a useful
 * baseline beside the ViT for tiny images (emojis at 32–64 px).
 *
 *   images (N, 3, S, S)
 *   for each block b with C_b output channels:
 *     x = maxPool2d(relu(conv_b(x)), 2)     conv 3×3, padding 1: (N, C_b, S_b, S_b), S_b = ⌊S_{b-1} / 2⌋
 *   pooled = x.mean over (H, W)              (N, C_last)   global average pooling
 *   y = pooled @ proj                        proj [C_last, embed]  (N, embed)
 *
 * Parameters: blocks.B.conv.{weight,bias}, proj (or proj.0 / proj.2 with an MLP head).
 * Duet-only: open_clip has no such tower, so such a checkpoint loads in Duet only.
 */

import * as A from "@duet/autograd";
import { Conv2d, Module, ModuleList, type LayerOptions } from "@duet/nn";
import { fmtShape } from "@duet/tensor";
import type { ModelConfig } from "./config.js";
import { ModelError } from "./errors.js";
import { addProjection, type BuildOptions, type Projection, type ProjectionKind } from "./projection.js";
import type { ImageTower } from "./vision-transformer.js";

/** conv 3×3 (padding 1) → ReLU → max-pool 2×2. */
export class ConvBlock extends Module {
  constructor(inChannels: number, outChannels: number, options: LayerOptions = {}) {
    super();
    this.registerModule("conv", new Conv2d(inChannels, outChannels, 3, { ...options, padding: 1 }));
  }

  forward(x: A.Input): A.Variable {
    return A.maxPool2d(A.relu(this.child<Conv2d>("conv").forward(x)), 2);
  }
}

export interface ConvImageTowerOptions extends BuildOptions {
  imageSize: number;
  /** Output channels of each block, e.g. [32, 64]. */
  channels: readonly number[];
  outputDim: number;
  projection?: ProjectionKind;
  projectionHidden?: number;
}

export class ConvImageTower extends Module implements ImageTower {
  readonly imageSize: number;
  readonly channels: readonly number[];
  private readonly projection: Projection;

  constructor(options: ConvImageTowerOptions) {
    super();
    const { imageSize, channels } = options;
    if (channels.length === 0) throw new ModelError("ConvImageTower", "channels must list at least one block");
    if (imageSize >> channels.length < 1) {
      throw new ModelError("ConvImageTower", `${channels.length} blocks halve a ${imageSize} px image below one pixel; use fewer blocks or larger images`);
    }
    this.imageSize = imageSize;
    this.channels = [...channels];
    const layer = { dtype: options.dtype, generator: options.generator, initialize: options.initialize };
    const blocks = channels.map((c, i) => new ConvBlock(i === 0 ? 3 : channels[i - 1]!, c, layer));
    this.registerModule("blocks", new ModuleList(blocks));
    const last = channels[channels.length - 1]!;
    this.projection = addProjection(this, "proj", options.projection ?? "matrix", last, options.outputDim, { ...layer, hidden: options.projectionHidden });
  }

  forward(images: A.Input): A.Variable {
    if (images.shape.length !== 4 || images.shape[1] !== 3) {
      throw new ModelError("ConvImageTower.forward", `images must be (N, 3, H, W), got ${fmtShape(images.shape)}`);
    }
    let x: A.Input = images;
    for (const block of this.child<ModuleList<ConvBlock>>("blocks")) x = block.forward(x);
    const pooled = A.mean(x, [2, 3]); // (N, C_last)
    return this.projection.apply(pooled);
  }
}

/** The "cnn" image tower of a config (duet.image_tower = "cnn"). */
export function buildConvImageTower(config: ModelConfig, options: BuildOptions = {}): ConvImageTower {
  return new ConvImageTower({
    ...options,
    imageSize: config.vision_cfg.image_size,
    channels: config.duet.cnn_channels,
    outputDim: config.embed_dim,
    projection: config.duet.projection === "mlp" ? "mlp" : "matrix",
    projectionHidden: config.duet.projection_hidden ?? undefined,
  });
}
