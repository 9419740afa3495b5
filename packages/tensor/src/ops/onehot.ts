/**
 * oneHot: class indices to one-hot rows, as torch.nn.functional.one_hot (but float,
 * since the result is usually multiplied or compared with probabilities).
 *
 *   indices is int32 of any shape S, values in [0, numClasses)
 *   out is float32 (...S, numClasses):  out[..., c] = 1 if c == indices[...] else 0
 */

import { allocate } from "../dtype.js";
import { TensorError, fmtShape } from "../errors.js";
import { Tensor } from "../tensor.js";

export function oneHot(indices: Tensor, numClasses: number): Tensor {
  if (indices.dtype !== "int32") throw new TensorError("oneHot", `indices must be an int32 tensor, got ${indices.dtype}`);
  if (!Number.isInteger(numClasses) || numClasses <= 0) {
    throw new TensorError("oneHot", `numClasses must be a positive integer, got ${numClasses}`);
  }
  const ids = indices.contiguousData();
  const out = allocate("float32", ids.length * numClasses);
  for (let k = 0; k < ids.length; k++) {
    const c = ids[k]!;
    if (c < 0 || c >= numClasses) {
      throw new TensorError(
        "oneHot",
        `index ${c} at flat position ${k} of indices ${fmtShape(indices.shape)} is out of range for ${numClasses} classes; valid: [0, ${numClasses - 1}]`,
      );
    }
    out[k * numClasses + c] = 1;
  }
  return new Tensor(out, [...indices.shape, numClasses]);
}
