/**
 * Errors that teach: every message names the op, the argument, what was expected and
 * what came, e.g. `matmul: inner dimensions differ: a is [2,3], b is [4,5]`.
 */

export class TensorError extends Error {
  constructor(
    readonly op: string,
    detail: string,
  ) {
    super(`${op}: ${detail}`);
    this.name = "TensorError";
  }
}

/** Shapes print as `[2,3]`, scalars as `[]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}
