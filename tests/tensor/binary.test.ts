import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Tensor,
  add,
  div,
  eq,
  full,
  ge,
  gt,
  le,
  lt,
  maximum,
  minimum,
  mul,
  ne,
  pow,
  sub,
  tensor,
  where,
  type DType,
  type Operand,
} from "../../packages/tensor/src/index.js";
import { broadcastPairArb, expectClose, shapeArb, tensorOfShapeArb } from "../support/arbitraries.js";

const RUNS = { numRuns: 100, seed: 42 };

const f32 = (values: number[], shape = [values.length]) => tensor(values, shape);
const f64 = (values: number[], shape = [values.length]) => tensor(values, shape, { dtype: "float64" });
const i32 = (values: number[], shape = [values.length]) => tensor(values, shape, { dtype: "int32" });
const values = (t: Tensor) => Array.from(t.contiguousData());

type BinaryOp = (a: Operand, b: Operand) => Tensor;

/** Every binary op with its definition on two numbers (computed in float64). */
const OPS: [string, BinaryOp, (x: number, y: number) => number][] = [
  ["add", add, (x, y) => x + y],
  ["sub", sub, (x, y) => x - y],
  ["mul", mul, (x, y) => x * y],
  ["div", div, (x, y) => x / y],
  ["pow", pow, (x, y) => Math.pow(x, y)],
  ["maximum", maximum, Math.max],
  ["minimum", minimum, Math.min],
  ["eq", eq, (x, y) => +(x === y)],
  ["ne", ne, (x, y) => +(x !== y)],
  ["lt", lt, (x, y) => +(x < y)],
  ["le", le, (x, y) => +(x <= y)],
  ["gt", gt, (x, y) => +(x > y)],
  ["ge", ge, (x, y) => +(x >= y)],
];

// ---- hand-checked values ---------------------------------------------------------

describe("binary ops: hand-checked values", () => {
  it("arithmetic on equal shapes", () => {
    const a = f64([1, -2, 3, 0]);
    const b = f64([4, 5, -6, 0]);
    expect(values(add(a, b))).toEqual([5, 3, -3, 0]);
    expect(values(sub(a, b))).toEqual([-3, -7, 9, 0]);
    expect(values(mul(a, b))).toEqual([4, -10, -18, 0]);
    expect(values(div(a, b))).toEqual([0.25, -0.4, -0.5, NaN]);
    expect(values(pow(f64([2, 4, -8, 0]), f64([3, 0.5, 1 / 3, 0])))).toEqual([8, 2, NaN, 1]);
    expect(values(maximum(a, b))).toEqual([4, 5, 3, 0]);
    expect(values(minimum(a, b))).toEqual([1, -2, -6, 0]);
  });

  it("broadcasts (2,1) with (3) to (2,3)", () => {
    const col = f32([10, 20], [2, 1]);
    const row = f32([1, 2, 3]);
    const z = add(col, row);
    expect(z.shape).toEqual([2, 3]);
    expect(z.toArray()).toEqual([[11, 12, 13], [21, 22, 23]]);
    expect(sub(row, col).toArray()).toEqual([[-9, -8, -7], [-19, -18, -17]]);
    expect(mul(f32([2], []), row).toArray()).toEqual([2, 4, 6]); // a 0-d tensor broadcasts like a number
  });

  it("numbers on either side", () => {
    const x = f32([1, 2, 4]);
    expect(values(sub(1, x))).toEqual([0, -1, -3]);
    expect(values(div(x, 2))).toEqual([0.5, 1, 2]);
    expect(values(div(1, x))).toEqual([1, 0.5, 0.25]);
    expect(values(pow(2, x))).toEqual([2, 4, 16]);
    expect(values(pow(x, 2))).toEqual([1, 4, 16]);
    expect(values(gt(x, 1.5))).toEqual([0, 1, 1]);
    expect(values(le(2, x))).toEqual([0, 1, 1]);
  });

  it("comparisons give int32 masks with IEEE NaN semantics", () => {
    const a = f64([1, 2, NaN, 3]);
    const b = f64([1, 3, NaN, 2]);
    for (const op of [eq, ne, lt, le, gt, ge]) expect(op(a, b).dtype).toBe("int32");
    expect(values(eq(a, b))).toEqual([1, 0, 0, 0]);
    expect(values(ne(a, b))).toEqual([0, 1, 1, 1]);
    expect(values(lt(a, b))).toEqual([0, 1, 0, 0]);
    expect(values(le(a, b))).toEqual([1, 1, 0, 0]);
    expect(values(gt(a, b))).toEqual([0, 0, 0, 1]);
    expect(values(ge(a, b))).toEqual([1, 0, 0, 1]);
  });

  it("maximum and minimum propagate NaN", () => {
    expect(values(maximum(f64([NaN, 1, 2]), f64([0, NaN, 1])))).toEqual([NaN, NaN, 2]);
    expect(values(minimum(f64([NaN, 1, 2]), 0))).toEqual([NaN, 0, 0]);
  });

  it("where selects, broadcasts, and treats NaN as true", () => {
    const cond = i32([1, 0, 1]);
    expect(values(where(cond, f32([1, 2, 3]), f32([-1, -2, -3])))).toEqual([1, -2, 3]);
    const grid = where(f32([1, 0], [2, 1]), f32([1, 2, 3]), 0);
    expect(grid.toArray()).toEqual([[1, 2, 3], [0, 0, 0]]);
    expect(values(where(f64([NaN, 0]), 1, 2))).toEqual([1, 2]);
    const mask = where(i32([1, 0]), 0, -Infinity); // an additive attention mask
    expect(mask.dtype).toBe("float32");
    expect(values(mask)).toEqual([0, -Infinity]);
    expect(where(i32([1, 0]), 7, 8).dtype).toBe("int32");
    expect(where(i32([1]), f32([1]), f64([2])).dtype).toBe("float64");
  });
});

// ---- dtypes ----------------------------------------------------------------------

describe("binary ops: result dtypes", () => {
  it("promotes tensor dtypes", () => {
    const table: [DType, DType, DType][] = [
      ["float32", "float32", "float32"],
      ["float32", "float64", "float64"],
      ["int32", "float32", "float32"],
      ["int32", "float64", "float64"],
      ["int32", "int32", "int32"],
    ];
    for (const [da, db, expected] of table) {
      const a = tensor([1, 2], [2], { dtype: da });
      const b = tensor([3, 4], [2], { dtype: db });
      expect(add(a, b).dtype, `${da} + ${db}`).toBe(expected);
      expect(add(b, a).dtype, `${db} + ${da}`).toBe(expected);
    }
  });

  it("a number takes the tensor's dtype unless it is a fraction next to int32", () => {
    expect(add(i32([1]), 2).dtype).toBe("int32");
    expect(add(i32([1]), 0.5).dtype).toBe("float32");
    expect(values(add(i32([1]), 0.5))).toEqual([1.5]);
    expect(add(f64([1]), 2).dtype).toBe("float64");
    expect(mul(3, f32([1])).dtype).toBe("float32");
  });

  it("the number is rounded to the op's dtype first (as torch)", () => {
    expect(values(eq(f32([0.1]), 0.1))).toEqual([1]);
    expect(values(eq(f64([Math.fround(0.1)]), 0.1))).toEqual([0]);
  });

  it("int32 / int32 is float32 true division", () => {
    const z = div(i32([7, -7, 1]), i32([2, 2, 0]));
    expect(z.dtype).toBe("float32");
    expect(values(z)).toEqual([3.5, -3.5, Infinity]);
    expect(div(i32([1]), 2).dtype).toBe("float32");
    expect(div(f64([1]), i32([2])).dtype).toBe("float64");
  });

  it("int32 arithmetic wraps around as int32", () => {
    expect(values(mul(i32([65536, 3]), i32([65536, -5])))).toEqual([0, -15]);
    expect(values(add(i32([2147483647]), 1))).toEqual([-2147483648]);
    expect(values(pow(i32([2, 3, -2]), i32([3, 0, 3])))).toEqual([8, 1, -8]);
  });
});

// ---- properties --------------------------------------------------------------------

/** Two tensors of one random shape, each with its own random layout. */
const sameShapePair = (dtype: DType) =>
  shapeArb({ maxDims: 4, maxSize: 4 }).chain((shape) => fc.tuple(tensorOfShapeArb(shape, { dtype }), tensorOfShapeArb(shape, { dtype })));

/** Two tensors whose shapes broadcast, with random layouts. */
const broadcastPair = (dtype: DType) =>
  broadcastPairArb({ maxDims: 4, maxSize: 4 }).chain(([sa, sb]) => fc.tuple(tensorOfShapeArb(sa, { dtype }), tensorOfShapeArb(sb, { dtype })));

/** op(a, b) computed by the definition on the flat values of a and b expanded to `shape`. */
function reference(definition: (x: number, y: number) => number, a: Tensor, b: Tensor, shape: number[]): Float64Array {
  const xa = a.expand(shape).toFlatArray();
  const xb = b.expand(shape).toFlatArray();
  return Float64Array.from(xa, (x, k) => definition(x, xb[k]!));
}

/** The expected values stored in the op's output dtype. */
function stored(expected: Float64Array, dtype: DType): ArrayLike<number> {
  return dtype === "float32" ? Float32Array.from(expected) : dtype === "int32" ? Int32Array.from(expected) : expected;
}

describe("binary ops: kernel equals the definition on any layout", () => {
  for (const [name, op, definition] of OPS) {
    it(`${name}: equal shapes, float32 and float64`, () => {
      for (const dtype of ["float64", "float32"] as DType[]) {
        fc.assert(
          fc.property(sameShapePair(dtype), ([a, b]) => {
            const z = op(a, b);
            expect(z.shape).toEqual(a.shape);
            expect(z.isCompact()).toBe(true);
            expectClose(z, stored(reference(definition, a, b, [...a.shape]), z.dtype), { rtol: 0, atol: 0, label: `${name} [${a.shape}]` });
          }),
          RUNS,
        );
      }
    });

    it(`${name}: broadcasting equals an explicit expand`, () => {
      fc.assert(
        fc.property(broadcastPair("float32"), ([a, b]) => {
          const z = op(a, b);
          const shape = [...z.shape];
          const expanded = op(a.expand(shape).contiguous(), b.expand(shape).contiguous());
          expectClose(z, expanded, { rtol: 0, atol: 0, label: `${name} [${a.shape}] with [${b.shape}]` });
          expectClose(z, stored(reference(definition, a, b, shape), z.dtype), { rtol: 0, atol: 0 });
        }),
        RUNS,
      );
    });

    it(`${name}: a number operand equals a filled tensor`, () => {
      const arb = shapeArb({ maxDims: 3 }).chain((shape) =>
        fc.tuple(tensorOfShapeArb(shape, { dtype: "float64" }), fc.double({ min: -3, max: 3, noNaN: true })),
      );
      fc.assert(
        fc.property(arb, ([x, c]) => {
          const filled = full(x.shape, c, { dtype: "float64" });
          expectClose(op(x, c), op(x, filled), { rtol: 0, atol: 0 });
          expectClose(op(c, x), op(filled, x), { rtol: 0, atol: 0 });
        }),
        RUNS,
      );
    });
  }

  it("int32 operands match the definition (products wrap, division is true division)", () => {
    const arb = shapeArb({ maxDims: 3 }).chain((shape) =>
      fc.tuple(tensorOfShapeArb(shape, { dtype: "int32", min: -50, max: 50 }), tensorOfShapeArb(shape, { dtype: "int32", min: 1, max: 9 })),
    );
    fc.assert(
      fc.property(arb, ([a, b]) => {
        for (const [name, op, definition] of OPS) {
          const z = op(a, b);
          expectClose(z, stored(reference(definition, a, b, [...a.shape]), z.dtype), { rtol: 0, atol: 0, label: name });
        }
      }),
      RUNS,
    );
  });

  it("where: broadcasting equals an explicit expand and the definition", () => {
    const arb = broadcastPairArb({ maxDims: 3, maxSize: 4 }).chain(([sa, sb]) =>
      fc.tuple(tensorOfShapeArb(sa, { dtype: "int32", min: 0, max: 1 }), tensorOfShapeArb(sb), tensorOfShapeArb(sa.slice(1), { dtype: "float64" })),
    );
    fc.assert(
      fc.property(arb, ([cond, a, b]) => {
        const z = where(cond, a, b);
        const shape = [...z.shape];
        const [ce, ae, be] = [cond, a, b].map((t) => t.expand(shape).contiguous()) as [Tensor, Tensor, Tensor];
        expectClose(z, where(ce, ae, be), { rtol: 0, atol: 0 });
        const c = ce.toFlatArray();
        const x = ae.toFlatArray();
        const y = be.toFlatArray();
        expectClose(z, Float64Array.from(c, (v, k) => (v !== 0 ? x[k]! : y[k]!)), { rtol: 0, atol: 0 });
      }),
      RUNS,
    );
  });
});

// ---- errors ----------------------------------------------------------------------

describe("binary ops: errors name the op, the operands and their shapes", () => {
  it("shapes that do not broadcast", () => {
    const a = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = f32([1, 2, 3, 4]);
    for (const [name, op] of OPS) {
      expect(() => op(a, b)).toThrow(`${name}: shapes cannot broadcast: a is [2,3], b is [4] (dim -1 is 3 vs 4)`);
    }
    expect(() => where(i32([1, 0]), a, 0)).toThrow("where: shapes cannot broadcast: cond is [2], broadcast(a, b) is [2,3] (dim -1 is 2 vs 3)");
    expect(() => where(i32([1]), a, b)).toThrow("where: shapes cannot broadcast: a is [2,3], b is [4]");
  });

  it("operands must be tensors or numbers, and not both numbers", () => {
    expect(() => add(2, 3)).toThrow("add: at least one operand must be a Tensor, got the numbers 2 and 3");
    expect(() => mul(f32([1]), "2" as unknown as number)).toThrow("mul: b must be a Tensor or a number, got string");
    expect(() => sub([1, 2] as unknown as Tensor, 1)).toThrow("sub: a must be a Tensor or a number, got an array");
    expect(() => where(null as unknown as Tensor, 1, 2)).toThrow("where: cond must be a Tensor or a number, got null");
  });

  it("int32 to a negative int32 power is refused (as torch)", () => {
    expect(() => pow(i32([2, 3]), i32([1, -1]))).toThrow("pow: integers to negative integer powers are not allowed");
    expect(() => pow(i32([2]), -2)).toThrow("pow: integers to negative integer powers are not allowed");
    expect(values(pow(i32([2]), -0.5))).toEqual([Math.fround(Math.SQRT1_2)]); // a float exponent gives float32
    expect(values(pow(f32([2]), i32([-1])))).toEqual([0.5]);
  });
});
