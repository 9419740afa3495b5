/**
 * Embedding: a lookup table, as torch.nn.Embedding.
 *
 *   ids is int32 (...)  ->  y is (..., embeddingDim),  y[..., :] = weight[ids[...], :]
 *   weight is [numEmbeddings, embeddingDim]; dweight scatters-adds dy into the rows used
 *
 * Initialised as torch: weight N(0, 1). (CLIP's text tower re-draws its token embedding
 * with std 0.02, in @duet/vlm.)
 */

import * as A from "@duet/autograd";
import { fmtShape, TensorError, zeros } from "@duet/tensor";
import { normal } from "./init.js";
import { Module } from "./module.js";
import { floatDtype, positiveInt, type LayerOptions } from "./options.js";

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;

  constructor(numEmbeddings: number, embeddingDim: number, options: LayerOptions = {}) {
    super();
    this.numEmbeddings = positiveInt("Embedding", "numEmbeddings", numEmbeddings);
    this.embeddingDim = positiveInt("Embedding", "embeddingDim", embeddingDim);
    const dtype = floatDtype("Embedding", options.dtype);
    normal(this.registerParameter("weight", zeros([numEmbeddings, embeddingDim], { dtype })), 0, 1, options);
  }

  get weight(): A.Variable {
    return this.param("weight");
  }

  forward(ids: A.Input): A.Variable {
    const t = ids instanceof A.Variable ? ids.value : ids;
    if (t.dtype !== "int32") throw new TensorError("Embedding.forward", `ids must be an int32 tensor, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
    return A.embedding(this.weight, t);
  }
}
