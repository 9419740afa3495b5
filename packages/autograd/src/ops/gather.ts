/**
 * Reading by integer index: embedding, gather, indexSelect. Each backward pass is a
 * scatter-add of dy into zeros of the source's shape: a row or element read k times
 * gets the sum of its k gradients. Indices are int32 and never differentiated.
 */

import * as T from "@duet/tensor";
import { record } from "../graph.js";
import { asIndexTensor, asVariable, type Input } from "../operands.js";
import { defineOp } from "../registry.js";
import type { Variable } from "../variable.js";

const EMBEDDING = defineOp({
  name: "embedding",
  inputs: ["weight"],
  forward: "y[..., :] = weight[ids[...], :]   (weight (V,D), ids any shape S, y (...S, D))",
  backward: "dweight[v, :] = Σ over positions k with ids[k] = v of dy[k, :]   (scatter-add)",
  saved: "ids (int32), to know which rows were read",
});
export function embedding(weight: Input, ids: Input): Variable {
  const wv = asVariable("embedding", "weight", weight);
  const idx = asIndexTensor("embedding", "ids", ids);
  const W = wv.value;
  return record(EMBEDDING, T.embedding(W, idx), [wv], (dy) => {
    const [V, D] = W.shape as [number, number];
    const K = idx.size;
    const rows = idx.reshape([K, 1]).expand([K, D]);
    return [T.scatterAdd(T.zeros([V, D], { dtype: W.dtype }), 0, rows, dy.reshape([K, D]))];
  });
}

const GATHER = defineOp({
  name: "gather",
  inputs: ["x"],
  forward: "y[..i..] = x[..i.. with i[dim] replaced by index[..i..]]   (y has index's shape)",
  backward: "dx = scatterAdd(zeros(x.shape), dim, index, dy)",
  saved: "index (int32)",
});
export function gather(x: Input, dim: number, index: Input): Variable {
  const xv = asVariable("gather", "x", x);
  const idx = asIndexTensor("gather", "index", index);
  const X = xv.value;
  return record(GATHER, T.gather(X, dim, idx), [xv], (dy) => [T.scatterAdd(T.zeros(X.shape, { dtype: X.dtype }), dim, idx, dy)]);
}

const INDEX_SELECT = defineOp({
  name: "indexSelect",
  inputs: ["x"],
  forward: "y[..., k, ...] = x[..., index[k], ...]   (index 1-D of length K replaces dim)",
  backward: "dx[..., v, ...] = Σ over k with index[k] = v of dy[..., k, ...]   (scatter-add along dim)",
  saved: "index (int32)",
});
export function indexSelect(x: Input, dim: number, index: Input): Variable {
  const xv = asVariable("indexSelect", "x", x);
  const idx = asIndexTensor("indexSelect", "index", index);
  const X = xv.value;
  const y = T.indexSelect(X, dim, idx);
  return record(INDEX_SELECT, y, [xv], (dy) => {
    const axis = T.normalizeAxis("indexSelect", dim, X.ndim, "dim");
    // index laid along `dim` and broadcast over the other dims, as scatterAdd wants
    const along = X.shape.map((_, d) => (d === axis ? idx.size : 1));
    const spread = idx.reshape(along).expand(dy.shape);
    return [T.scatterAdd(T.zeros(X.shape, { dtype: X.dtype }), axis, spread, dy)];
  });
}
