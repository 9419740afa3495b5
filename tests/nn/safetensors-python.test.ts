/**
 * Interchange with Python's safetensors (the reference implementation).
 *
 * python.safetensors was written by tools/make_safetensors_fixture.py with
 * safetensors.numpy.save_file; python.json holds the values each tensor must read as.
 * duet.safetensors is written by this test (with DUET_UPDATE_FIXTURES=1) and checked by
 * the same script: Python loads it, the values match duet.json, and Python's writer
 * produces identical bytes for the same arrays. Without the variable, this test checks
 * that Duet still writes exactly the committed bytes.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fromArray, scalar, tensor, zeros, type Tensor } from "../../packages/tensor/src/index.js";
import {
  numberToBf16,
  numberToF16,
  openSafetensors,
  parseSafetensors,
  serializeSafetensors,
  type SerializeOptions,
} from "../../packages/nn/src/index.js";
import { readSafetensors, writeSafetensors } from "../../packages/nn/src/node.js";
import { decodeValue, encodeValue, expectSafetensorsError, flatValues } from "./safetensors-helpers.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "safetensors");

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values?: (number | string)[];
  bits?: number[];
}
interface Expected {
  metadata: Record<string, string>;
  tensors: Record<string, ExpectedTensor>;
}

function checkValues(label: string, actual: Tensor, expected: number[]): void {
  const values = flatValues(actual);
  expect(values.length, label).toBe(expected.length);
  values.forEach((v, i) => {
    if (!Object.is(v, expected[i])) throw new Error(`${label}[${i}]: read ${v}, expected ${expected[i]}`);
  });
}

describe("a file written by Python's safetensors", () => {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, "python.safetensors")));
  const expected: Expected = JSON.parse(readFileSync(join(FIXTURES, "python.json"), "utf8"));
  const wide = { i64_wide: "float64" as const }; // beyond int32: must be read as a float

  it("has the header Python wrote: names, dtypes, shapes, metadata", () => {
    const reader = openSafetensors(bytes);
    expect(new Set(reader.names())).toEqual(new Set(Object.keys(expected.tensors)));
    for (const [name, want] of Object.entries(expected.tensors)) {
      const entry = reader.entries.get(name)!;
      expect([entry.dtype, entry.shape], name).toEqual([want.dtype, want.shape]);
    }
    expect(reader.metadata).toEqual(expected.metadata);
  });

  it("reads every value exactly as float64 / int32 (F16 and BF16 subnormals, infinities, NaN, -0 included)", () => {
    const { tensors } = parseSafetensors(bytes, { floatDtype: "float64", dtypes: wide });
    for (const [name, want] of Object.entries(expected.tensors)) {
      if (!want.values) continue;
      const t = tensors.get(name)!;
      expect(t.shape, name).toEqual(want.shape);
      expect(t.dtype, name).toBe(["F64", "F32", "F16", "BF16"].includes(want.dtype) || name === "i64_wide" ? "float64" : "int32");
      checkValues(name, t, want.values.map(decodeValue));
    }
  });

  it("reads floats as float32 by default (F64 rounded once)", () => {
    const { tensors } = parseSafetensors(bytes, { dtypes: wide });
    for (const name of ["f32", "f64", "f16", "bf16", "scalar", "matrix"]) {
      expect(tensors.get(name)!.dtype).toBe("float32");
      checkValues(name, tensors.get(name)!, expected.tensors[name]!.values!.map(decodeValue).map(Math.fround));
    }
    expect(tensors.get("scalar")!.shape).toEqual([]);
    expect(tensors.get("empty")!.shape).toEqual([0, 4]);
  });

  it("refuses I64 values beyond int32 unless asked to read them as floats", () => {
    expectSafetensorsError(() => parseSafetensors(bytes), 'tensor "i64_wide": I64 value 1099511627777 at flat index 0 does not fit in int32');
  });

  it("F16 and BF16 encode to the bits numpy and ml_dtypes wrote (round to nearest even)", () => {
    const reader = openSafetensors(bytes);
    const source = flatValues(reader.tensor("round_src"));
    for (const [name, encode] of [
      ["round_f16", numberToF16],
      ["round_bf16", numberToBf16],
      ["f16", numberToF16],
      ["bf16", numberToBf16],
    ] as const) {
      const bits = expected.tensors[name]!.bits!;
      const inputs = name.startsWith("round_") ? source : flatValues(reader.tensor(name, { dtype: "float64" }));
      expect(inputs.length).toBe(bits.length);
      inputs.forEach((x, i) => {
        const want = Number.isNaN(x) ? encode(NaN) : bits[i]!;
        if (encode(x) !== want) throw new Error(`${name}[${i}]: ${x} encodes to 0x${encode(x).toString(16)}, Python wrote 0x${want.toString(16)}`);
      });
    }
  });
});

/** The tensors of duet.safetensors, and what each must read as in Python. */
function duetTensors(): { tensors: Record<string, Tensor>; options: SerializeOptions; expected: Expected } {
  const weight = fromArray([
    [0.5, -1.25, 3],
    [4, -0, 1e-45],
  ]);
  const tensors = {
    weight: weight.transpose(), // non-contiguous: written row-major as [3,2]
    specials: tensor([-0, Infinity, -Infinity, NaN, 3.4028234663852886e38, 0.1]),
    double: tensor([1 / 3, -0, 5e-324, 1.7976931348623157e308], [4], { dtype: "float64" }),
    half: tensor([1, -0, 2 ** -24, 65504, 65520, 1 / 3, 1 + 2 ** -11, NaN]),
    brain: tensor([1, -0, 2 ** -133, 1 / 3, 3.4028234663852886e38, 1 + 2 ** -8, NaN, -7]),
    ids: tensor([0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 49407], [2, 3], { dtype: "int32" }),
    ids64: tensor([-(2 ** 31), 2 ** 31 - 1, -1, 0], [4], { dtype: "int32" }),
    logit_scale: scalar(4.6052),
    empty: zeros([0, 3]),
  };
  const options: SerializeOptions = { metadata: { format: "pt", producer: "duet" }, dtypes: { half: "F16", brain: "BF16", ids64: "I64" } };
  // hand-derived expectations: F16 of 65520 overflows, 1/3 rounds to 0x3555, the ties go to even
  const f = Math.fround;
  const values: Record<string, [string, number[], number[]]> = {
    weight: ["F32", [3, 2], [0.5, 4, -1.25, -0, 3, f(1e-45)]],
    specials: ["F32", [6], [-0, Infinity, -Infinity, NaN, f(3.4028234663852886e38), f(0.1)]],
    double: ["F64", [4], [1 / 3, -0, 5e-324, 1.7976931348623157e308]],
    half: ["F16", [8], [1, -0, 2 ** -24, 65504, Infinity, 0.333251953125, 1, NaN]],
    brain: ["BF16", [8], [1, -0, 2 ** -133, 0.333984375, Infinity, 1, NaN, -7]],
    ids: ["I32", [2, 3], [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 49407]],
    ids64: ["I64", [4], [-(2 ** 31), 2 ** 31 - 1, -1, 0]],
    logit_scale: ["F32", [], [f(4.6052)]],
    empty: ["F32", [0, 3], []],
  };
  const expected: Expected = { metadata: { format: "pt", producer: "duet" }, tensors: {} };
  for (const [name, [dtype, shape, vals]] of Object.entries(values)) {
    expected.tensors[name] = { dtype, shape, values: vals.map(encodeValue) };
    if (dtype === "F16") expected.tensors[name]!.bits = [0x3c00, 0x8000, 0x0001, 0x7bff, 0x7c00, 0x3555, 0x3c00, 0x7e00];
    if (dtype === "BF16") expected.tensors[name]!.bits = [0x3f80, 0x8000, 0x0001, 0x3eab, 0x7f80, 0x3f80, 0x7fc0, 0xc0e0];
  }
  return { tensors, options, expected };
}

describe("a file written by Duet, for Python", () => {
  const { tensors, options, expected } = duetTensors();
  const bytes = serializeSafetensors(tensors, options);
  const folder = mkdtempSync(join(tmpdir(), "duet-st-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("writes the same bytes to disk as in memory, and reads back what the fixture JSON says", () => {
    const path = join(folder, "duet.safetensors");
    writeSafetensors(path, tensors, options);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    const back = readSafetensors(path, { floatDtype: "float64" });
    expect(back.metadata).toEqual(expected.metadata);
    for (const [name, want] of Object.entries(expected.tensors)) {
      expect([back.entries.get(name)!.dtype, back.tensors.get(name)!.shape], name).toEqual([want.dtype, want.shape]);
      checkValues(name, back.tensors.get(name)!, want.values!.map(decodeValue));
    }
  });

  it("is byte-identical to the committed fixture, which Python's safetensors reads (tools/make_safetensors_fixture.py)", () => {
    const fixture = join(FIXTURES, "duet.safetensors");
    if (process.env.DUET_UPDATE_FIXTURES === "1") {
      writeFileSync(fixture, bytes);
      writeFileSync(join(FIXTURES, "duet.json"), JSON.stringify(expected, null, 1) + "\n");
    }
    expect(existsSync(fixture), "run with DUET_UPDATE_FIXTURES=1, then tools/make_safetensors_fixture.py").toBe(true);
    expect(new Uint8Array(readFileSync(fixture))).toEqual(bytes);
    expect(JSON.parse(readFileSync(join(FIXTURES, "duet.json"), "utf8"))).toEqual(JSON.parse(JSON.stringify(expected)));
  });
});
