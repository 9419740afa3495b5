/** Options every layer constructor takes, and the checks they share. */

import { TensorError, type Generator } from "@duet/tensor";

export interface LayerOptions {
  /** The dtype of parameters and buffers (default float32; float64 for precise checks). */
  dtype?: "float32" | "float64";
  /** The generator for the initial values (default: the global one, seeded by `manualSeed`). */
  generator?: Generator;
}

/** A positive integer size argument, or an error naming the layer and the argument. */
export function positiveInt(layer: string, arg: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new TensorError(layer, `${arg} must be a positive integer, got ${value}`);
  return value;
}

/** A float dtype argument (default float32). */
export function floatDtype(layer: string, dtype: LayerOptions["dtype"]): "float32" | "float64" {
  const d = dtype ?? "float32";
  if (d !== "float32" && d !== "float64") throw new TensorError(layer, `dtype must be float32 or float64, got ${String(d)}`);
  return d;
}
