/**
 * safetensors (packages/nn/src/safetensors): round trips of every dtype, the reference
 * writer's exact bytes, determinism, metadata, and the read and write options.
 * Validation of bad files: safetensors-validation.test.ts; fuzzing: safetensors-fuzz;
 * F16/BF16 exhaustively: safetensors-half; files on disk: safetensors-file; Python's
 * own files: safetensors-python.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Tensor, fromArray, scalar, tensor, zeros, type DType } from "../../packages/tensor/src/index.js";
import {
  bf16ToNumber,
  f16ToNumber,
  numberToBf16,
  numberToF16,
  openSafetensors,
  parseSafetensors,
  serializeSafetensors,
  type WritableDType,
} from "../../packages/nn/src/index.js";
import { withLayout } from "../support/arbitraries.js";
import { expectSafetensorsError, flatValues, headerText, sameNumber } from "./safetensors-helpers.js";

const SPECIAL = [0, -0, 1, -1, 0.1, 1 / 3, Infinity, -Infinity, NaN, 1e-45, 1e-310, 65504, 65520, 3.4e38, 1.7976931348623157e308, -2.5e-8];

/** The value a float written as `dtype` and read back as float64 must have. */
function stored(value: number, dtype: WritableDType): number {
  switch (dtype) {
    case "F64":
      return value;
    case "F32":
      return Math.fround(value);
    case "F16":
      return f16ToNumber(numberToF16(value));
    case "BF16":
      return bf16ToNumber(numberToBf16(value));
    default:
      return value;
  }
}

function expectSameValues(actual: Tensor, expected: number[], label: string): void {
  const values = flatValues(actual);
  expect(values.length, label).toBe(expected.length);
  values.forEach((v, i) => {
    if (!sameNumber(v, expected[i]!)) throw new Error(`${label}: element ${i} is ${v}, expected ${expected[i]}`);
  });
}

describe("round trip", () => {
  for (const dtype of ["F64", "F32", "F16", "BF16"] as const) {
    it(`float64 tensor → ${dtype} → float64 keeps every value the dtype can hold (specials included)`, () => {
      const t = tensor(SPECIAL, [SPECIAL.length], { dtype: "float64" });
      const bytes = serializeSafetensors({ t }, { dtypes: { t: dtype } });
      const back = parseSafetensors(bytes, { floatDtype: "float64" });
      expect(back.entries.get("t")!.dtype).toBe(dtype);
      expectSameValues(back.tensors.get("t")!, SPECIAL.map((v) => stored(v, dtype)), dtype);
    });
  }

  it("F16 and BF16 hold their own values exactly, subnormals, infinities and NaN included", () => {
    const f16 = [2 ** -24, 2 ** -14 - 2 ** -24, 2 ** -14, 65504, -65504, Infinity, -Infinity, -0, 0.333251953125];
    const bf16 = [2 ** -133, 2 ** -126, 3.3895313892515355e38, -Infinity, -0, 0.333984375];
    const bytes = serializeSafetensors({ a: tensor(f16, [f16.length], { dtype: "float64" }), b: tensor(bf16, [bf16.length], { dtype: "float64" }) }, { dtypes: { a: "F16", b: "BF16" } });
    const back = parseSafetensors(bytes, { floatDtype: "float64" });
    expectSameValues(back.tensors.get("a")!, f16, "F16");
    expectSameValues(back.tensors.get("b")!, bf16, "BF16");
    const nan = parseSafetensors(serializeSafetensors({ n: tensor([NaN]) }, { floatDtype: "F16" })).tensors.get("n")!;
    expect(Number.isNaN(nan.item())).toBe(true);
  });

  it("I32 and I64 keep the whole int32 range", () => {
    const values = [-(2 ** 31), 2 ** 31 - 1, -1, 0, 1, 49407];
    const ids = tensor(values, [2, 3], { dtype: "int32" });
    const bytes = serializeSafetensors({ a: ids, b: ids }, { dtypes: { b: "I64" } });
    const back = parseSafetensors(bytes);
    expect(back.entries.get("a")!.dtype).toBe("I32");
    expect(back.entries.get("b")!.dtype).toBe("I64");
    for (const name of ["a", "b"]) {
      const t = back.tensors.get(name)!;
      expect(t.dtype).toBe("int32");
      expect(t.shape).toEqual([2, 3]);
      expectSameValues(t, values, name);
    }
    // I64 is two's complement, little-endian: -1 is eight 0xff bytes
    const raw = serializeSafetensors({ x: tensor([-1, 2], [2], { dtype: "int32" }) }, { dtypes: { x: "I64" } });
    expect(Array.from(raw.subarray(raw.length - 16))).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("0-d and empty tensors keep their shapes", () => {
    const back = parseSafetensors(serializeSafetensors({ s: scalar(4.6052), e: zeros([0, 3]), e2: zeros([2, 0, 1], { dtype: "int32" }) }));
    expect(back.tensors.get("s")!.shape).toEqual([]);
    expect(back.tensors.get("s")!.item()).toBe(Math.fround(4.6052));
    expect(back.tensors.get("e")!.shape).toEqual([0, 3]);
    expect(back.tensors.get("e2")!.shape).toEqual([2, 0, 1]);
    expect(back.entries.get("e")!.dataOffsets[0]).toBe(back.entries.get("e")!.dataOffsets[1]);
  });

  it("non-contiguous tensors are written in row-major order", () => {
    const base = fromArray([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const views = { t: base.transpose(), s: base.slice(1, 0, 3, 2), e: base.expand([2, 2, 3]).select(0, 1) };
    const back = parseSafetensors(serializeSafetensors(views)).tensors;
    expect(back.get("t")!.toArray()).toEqual(base.transpose().toArray());
    expect(back.get("s")!.toArray()).toEqual([
      [1, 3],
      [4, 6],
    ]);
    expect(back.get("e")!.toArray()).toEqual(base.toArray());
  });

  const floatValue = fc.oneof(
    fc.constantFrom(...SPECIAL),
    fc.double(),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((bits) => new Float32Array(new Int32Array([bits]).buffer)[0]!),
  );
  const entryArb = fc
    .record({
      shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
      kind: fc.constantFrom<DType>("float32", "float64", "int32"),
      layout: fc.integer({ min: 0, max: 2 }),
      floatTarget: fc.constantFrom<WritableDType>("F32", "F64", "F16", "BF16"),
      intTarget: fc.constantFrom<WritableDType>("I32", "I64"),
    })
    .chain((spec) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const value = spec.kind === "int32" ? fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) : floatValue;
      return fc.array(value, { minLength: size, maxLength: size }).map((values) => ({ ...spec, values }));
    });

  it("property: parse(serialize(tensors)) gives back every name, shape, dtype and value, for any layout", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), entryArb, { maxKeys: 5 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), (spec, metadata) => {
        delete (spec as Record<string, unknown>)["__metadata__"];
        const tensors = new Map<string, Tensor>();
        const dtypes: Record<string, WritableDType> = {};
        for (const [name, e] of Object.entries(spec)) {
          const layout = e.layout === 0 || e.shape.length < 2 ? { kind: "plain" as const } : e.layout === 1 ? { kind: "permuted" as const, perm: [...e.shape.keys()].reverse() } : { kind: "sliced" as const, pad: e.shape.map(() => 1), step: e.shape.map(() => 2), lead: 1 };
          tensors.set(name, withLayout(e.shape, e.values, e.kind, layout));
          dtypes[name] = e.kind === "int32" ? e.intTarget : e.floatTarget;
        }
        const bytes = serializeSafetensors(tensors, { dtypes, metadata });
        const back = parseSafetensors(bytes, { floatDtype: "float64" });
        expect(back.metadata).toEqual(metadata);
        expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
        for (const [name, e] of Object.entries(spec)) {
          const t = back.tensors.get(name)!;
          expect(t.shape).toEqual(e.shape);
          expect(back.entries.get(name)!.dtype).toBe(dtypes[name]);
          const asStored = e.kind === "float32" ? e.values.map(Math.fround) : e.values;
          expectSameValues(t, e.kind === "int32" ? asStored : asStored.map((v) => stored(v, dtypes[name]!)), name);
        }
      }),
      { seed: 7, numRuns: 1000 },
    );
  });
});

describe("the reference writer's bytes", () => {
  // byte vectors from huggingface/safetensors' own tests (safetensors/src/tensor.rs)
  it("one F32 tensor: `attn.0`, shape [1,2,3]", () => {
    const bytes = serializeSafetensors({ "attn.0": tensor([0, 1, 2, 3, 4, 5], [1, 2, 3]) });
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(header.length).toBe(64);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([64, 0, 0, 0, 0, 0, 0, 0]);
    expect(headerText(bytes)).toBe(header);
    expect(Array.from(bytes.subarray(72))).toEqual([0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64]);
  });

  it("pads the header with spaces to a multiple of 8 bytes", () => {
    const bytes = serializeSafetensors({ attn0: tensor([0, 1, 2, 3, 4, 5], [1, 1, 2, 3]) });
    expect(bytes[0]).toBe(72);
    expect(headerText(bytes)).toBe('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}' + " ".repeat(7));
  });

  it("no tensors: `{}` padded; with metadata: `__metadata__` alone", () => {
    expect(Array.from(serializeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const withMetadata = serializeSafetensors({}, { metadata: { framework: "pt" } });
    expect(withMetadata[0]).toBe(40);
    expect(headerText(withMetadata)).toBe('{"__metadata__":{"framework":"pt"}}     ');
  });

  it("orders tensors by dtype width (widest first), then by name, so each is aligned to its element size", () => {
    const bytes = serializeSafetensors(
      { b: tensor([1]), a: tensor([1], [1], { dtype: "int32" }), z: tensor([1]), h: tensor([1, 2, 3]), d: tensor([1], [1], { dtype: "float64" }), l: tensor([7], [1], { dtype: "int32" }) },
      { dtypes: { h: "F16", l: "I64", z: "BF16" } },
    );
    const back = openSafetensors(bytes);
    expect(back.names()).toEqual(["l", "d", "b", "a", "z", "h"]);
    expect((8 + bytes[0]!) % 8).toBe(0);
    for (const entry of back.entries.values()) {
      const width = { I64: 8, F64: 8, F32: 4, I32: 4, BF16: 2, F16: 2 }[entry.dtype as string]!;
      expect(entry.dataOffsets[0] % width).toBe(0);
    }
  });
});

describe("determinism", () => {
  it("the same tensors give the same bytes, whatever the insertion order or container", () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([4, 5], [2], { dtype: "int32" });
    const one = serializeSafetensors({ a, b }, { metadata: { x: "1", y: "2" } });
    const two = serializeSafetensors(
      new Map([
        ["b", b],
        ["a", a],
      ]),
      { metadata: new Map([["y", "2"], ["x", "1"]]) },
    );
    expect(two).toEqual(one);
  });

  it("names sort by code point, as Rust sorts strings (not by UTF-16 unit)", () => {
    const names = ["\u{1F600}", "\uFF5E", "a", "B", "é"];
    expect(parseSafetensors(serializeSafetensors({ "\ud83d\ude00": scalar(1) })).tensors.has("\u{1F600}")).toBe(true); // a surrogate pair is fine
    const bytes = serializeSafetensors(Object.fromEntries(names.map((n) => [n, scalar(1)])));
    expect(openSafetensors(bytes).names()).toEqual(["B", "a", "é", "\uFF5E", "\u{1F600}"]);
  });
});

describe("metadata", () => {
  it("is kept, unicode and awkward keys included", () => {
    const metadata = { format: "pt", note: "ünïcødé ✓ \"quoted\" \n", ["__proto__"]: "not a prototype", "": "empty key" };
    const back = parseSafetensors(serializeSafetensors({ w: scalar(1) }, { metadata: Object.fromEntries(Object.entries(metadata)) }));
    expect(Object.entries(back.metadata).sort()).toEqual(Object.entries(metadata).sort());
    expect(Object.getPrototypeOf(back.metadata)).toBe(Object.prototype);
    expect(Object.hasOwn(back.metadata, "__proto__")).toBe(true);
  });

  it("is omitted when empty or absent, and reads as {}", () => {
    expect(headerText(serializeSafetensors({}, { metadata: {} }))).not.toContain("__metadata__");
    expect(parseSafetensors(serializeSafetensors({})).metadata).toEqual({});
  });

  it("must map strings to strings", () => {
    expectSafetensorsError(() => serializeSafetensors({}, { metadata: { n: 1 as unknown as string } }), "serializeSafetensors", '"n" maps to number 1');
  });
});

describe("read options", () => {
  const bytes = serializeSafetensors({ w: tensor([1, 2], [2], { dtype: "float64" }), ids: tensor([3, 4], [2], { dtype: "int32" }) }, { dtypes: { ids: "I64" } });

  it("floats default to float32 and integers to int32; floatDtype and dtypes override", () => {
    const plain = parseSafetensors(bytes).tensors;
    expect(plain.get("w")!.dtype).toBe("float32");
    expect(plain.get("ids")!.dtype).toBe("int32");
    expect(parseSafetensors(bytes, { floatDtype: "float64" }).tensors.get("w")!.dtype).toBe("float64");
    const custom = parseSafetensors(bytes, { dtypes: { ids: "float64" } }).tensors;
    expect(custom.get("ids")!.dtype).toBe("float64");
    expect(flatValues(custom.get("ids")!)).toEqual([3, 4]);
    const byFunction = parseSafetensors(bytes, { dtypes: (_name, stored) => (stored === "F64" ? "float64" : undefined) }).tensors;
    expect(byFunction.get("w")!.dtype).toBe("float64");
  });

  it("refuses to truncate floats into int32, and names it", () => {
    expectSafetensorsError(() => parseSafetensors(bytes, { dtypes: { w: "int32" } }), 'tensor "w"', "F64", "int32", "truncate");
  });

  it("refuses dtypes for tensors the file does not hold", () => {
    expectSafetensorsError(() => parseSafetensors(bytes, { dtypes: { nope: "float64" } }), '"nope"', "no such tensor");
  });

  it("the lazy reader decodes one tensor at a time and names what it holds when asked for a missing one", () => {
    const reader = openSafetensors(bytes);
    expect(reader.names()).toEqual(["ids", "w"]); // I64 ranks above F64 in the reference dtype order
    expect(reader.has("w")).toBe(true);
    expect(reader.entries.get("ids")).toEqual({ name: "ids", dtype: "I64", shape: [2], dataOffsets: [0, 16] });
    expect(flatValues(reader.tensor("w", { dtype: "float64" }))).toEqual([1, 2]);
    expectSafetensorsError(() => reader.tensor("v"), 'no tensor named "v"', '"ids", "w"');
  });

  it("decoded tensors own their memory: changing the bytes later changes nothing", () => {
    const copy = bytes.slice();
    const t = parseSafetensors(copy).tensors.get("ids")!;
    copy.fill(0xff, 8);
    expect(flatValues(t)).toEqual([3, 4]);
  });

  it("reads from a view at any byte offset (data not aligned in memory)", () => {
    for (let shift = 1; shift < 8; shift++) {
      const padded = new Uint8Array(bytes.length + shift);
      padded.set(bytes, shift);
      const t = parseSafetensors(padded.subarray(shift), { floatDtype: "float64" }).tensors;
      expect(flatValues(t.get("w")!)).toEqual([1, 2]);
      expect(flatValues(t.get("ids")!)).toEqual([3, 4]);
    }
  });
});

describe("write options", () => {
  it("float tensors are written as F32/F64/F16/BF16 only, int32 tensors as I32/I64 only", () => {
    expectSafetensorsError(() => serializeSafetensors({ w: tensor([1]) }, { dtypes: { w: "I32" } }), 'tensor "w"', "float32 tensor can be written as F32, F64, F16, BF16, not I32");
    expectSafetensorsError(() => serializeSafetensors({ i: tensor([1], [1], { dtype: "int32" }) }, { dtypes: { i: "F16" } }), "int32 tensor can be written as I32, I64, not F16");
    expectSafetensorsError(() => serializeSafetensors({ w: tensor([1]) }, { dtypes: { w: "U8" as WritableDType } }), "cannot write dtype U8");
  });

  it("floatDtype applies to float tensors only; a float64 tensor stays F64 by default", () => {
    const bytes = serializeSafetensors({ w: tensor([1]), d: tensor([1], [1], { dtype: "float64" }), i: tensor([1], [1], { dtype: "int32" }) }, { floatDtype: "BF16" });
    const entries = openSafetensors(bytes).entries;
    expect([entries.get("w")!.dtype, entries.get("d")!.dtype, entries.get("i")!.dtype]).toEqual(["BF16", "BF16", "I32"]);
    expect(openSafetensors(serializeSafetensors({ d: tensor([1], [1], { dtype: "float64" }) })).entries.get("d")!.dtype).toBe("F64");
  });

  it("refuses a tensor named __metadata__, non-tensors, and dtypes for unknown names", () => {
    expectSafetensorsError(() => serializeSafetensors({ __metadata__: scalar(1) }), "reserved");
    expectSafetensorsError(() => serializeSafetensors({ w: [1, 2] as unknown as Tensor }), 'tensor "w"', "expected a Tensor");
    expectSafetensorsError(() => serializeSafetensors({ w: scalar(1) }, { dtypes: { v: "F16" } }), '"v"', "no tensor is called that");
    expectSafetensorsError(() => serializeSafetensors({ "a\ud800": scalar(1) }), "unpaired surrogate");
    expectSafetensorsError(() => serializeSafetensors({}, { metadata: { k: "\udfff" } }), "unpaired surrogate");
  });
});
